import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * `prefix` and 26 characters, the first 10 a base-32 timestamp so that ids
 * sort roughly by creation, the rest random (80 bits).
 */
function sortableId(prefix: string, nowMs: number): string {
  let time = "";
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = "";
  for (let i = 0; i < 16; i++) rand += ALPHABET[bytes[i]! % 32];
  return `${prefix}${time}${rand}`;
}

/** A new job id: `job_` and 26 characters (see `sortableId`). */
export function newJobId(nowMs: number): string {
  return sortableId("job_", nowMs);
}

/** A new backfill id: `bf_` and 26 characters (see `sortableId`). */
export function newBackfillId(nowMs: number): string {
  return sortableId("bf_", nowMs);
}

export const JOB_ID_PATTERN = /^job_[a-z0-9]{26}$/;
