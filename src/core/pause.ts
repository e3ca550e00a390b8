/**
 * Who paused a job, why, and when it was resumed: the pause history kept on
 * the job (the last `PAUSE_HISTORY_MAX`), written by the same conditional
 * update that changes the job's status, so that recording it costs no write
 * of its own. The fire ledger (`fire-ledger/`) reads its intervals to say
 * which runs a pause held back.
 */

import { invalidArgument } from "./errors.js";

/** Pauses kept per job, the oldest dropped first. */
export const PAUSE_HISTORY_MAX = 20;
/** A pause or resume note, in characters (code points). */
export const PAUSE_NOTE_MAX = 500;
/**
 * Who a pause made by the system itself (not a caller) is recorded as:
 * `system:<reason>`, e.g. `system:pause-after-failures` (`failure-policy.ts`).
 */
export function systemPauser(reason: string): string {
  return `system:${reason}`;
}

/** One pause of a job; `resumedMs` absent while it lasts. */
export interface PauseRecord {
  pausedMs: number;
  /** The caller's subject, or `systemPauser(reason)`. */
  by: string;
  note?: string;
  resumedMs?: number;
  resumedBy?: string;
  resumeNote?: string;
}

/** Who asks for a pause or a resume, and why. */
export interface StateNote {
  by: string;
  note?: string;
}

/** One message per rule; invalid_argument naming `field`. */
export function validateNote(note: string | undefined, field = "note"): void {
  if (note === undefined) return;
  if ([...note].length > PAUSE_NOTE_MAX) {
    throw invalidArgument(field, `must be at most ${PAUSE_NOTE_MAX} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(note)) {
    throw invalidArgument(field, "must not contain control characters (line breaks, tabs)");
  }
}

/** The history with a new pause at its end, trimmed to the last PAUSE_HISTORY_MAX. */
export function withPause(
  history: readonly PauseRecord[] | undefined,
  atMs: number,
  who: StateNote,
): PauseRecord[] {
  const record: PauseRecord = { pausedMs: atMs, by: who.by };
  if (who.note) record.note = who.note;
  return [...(history ?? []), record].slice(-PAUSE_HISTORY_MAX);
}

/**
 * The history with its open pause closed at `atMs`; a job paused before
 * pauses were recorded gets a record of that pause with an unknown start
 * (`pausedSinceMs`, the job's last change) and author.
 */
export function withResume(
  history: readonly PauseRecord[] | undefined,
  atMs: number,
  who: StateNote,
  pausedSinceMs: number,
): PauseRecord[] {
  const records = [...(history ?? [])];
  let open = records.at(-1);
  if (open === undefined || open.resumedMs !== undefined) {
    open = { pausedMs: pausedSinceMs, by: "" };
    records.push(open);
  }
  const closed: PauseRecord = { ...open, resumedMs: atMs, resumedBy: who.by };
  if (who.note) closed.resumeNote = who.note;
  records[records.length - 1] = closed;
  return records.slice(-PAUSE_HISTORY_MAX);
}

/** The pause in force: the last record, when it is still open. */
export function currentPause(history: readonly PauseRecord[] | undefined): PauseRecord | undefined {
  const last = history?.at(-1);
  return last && last.resumedMs === undefined ? last : undefined;
}
