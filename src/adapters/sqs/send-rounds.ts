/**
 * The rounds of one SendMessageBatch: SQS can accept part of a batch and
 * name the entries it failed (an internal error on its side), and those are
 * sent again after a backoff, through the shared `retry`. An entry refused
 * as the sender's fault (a bad message) would be refused again: no round
 * is spent on it.
 */
import type { Clock } from "../../core/clock.js";
import { unavailable } from "../../core/errors.js";
import { type RetrySchedule, retry } from "../../core/retry.js";

/**
 * Six tries of a batch's failed entries, the delays from 50 ms doubling to
 * 800 ms with equal jitter (1.55 s at most in all): on the dispatcher's path,
 * so short, and the dispatcher retries the whole send after this.
 */
export const SEND_ROUNDS: RetrySchedule = { attempts: 6, baseMs: 50, maxMs: 800, jitter: 0.5 };

/** What SendMessageBatch says of an entry it did not accept. */
export interface FailedEntry {
  Id?: string;
  SenderFault?: boolean;
  Code?: string;
}

/** Entries of a round that the queue did not accept. */
class Unaccepted extends Error {
  constructor(readonly senderFault: boolean) {
    super("entries not accepted");
  }
}

/**
 * Sends `entries` with `send` (one SendMessageBatch, resolving with the
 * entries that failed), then only the failed ones again until all are
 * accepted. Throws SQS's Unavailable when some are still failing after the
 * rounds, or at once when the queue refused one as the sender's fault.
 */
export async function sendInRounds<E extends { Id: string }>(
  entries: E[],
  send: (entries: E[]) => Promise<FailedEntry[]>,
  clock: Clock,
): Promise<void> {
  let pending = entries;
  let failures: FailedEntry[] = [];
  const round = async () => {
    failures = await send(pending);
    const failed = new Set(failures.map((f) => f.Id));
    pending = pending.filter((e) => failed.has(e.Id));
    if (pending.length > 0) throw new Unaccepted(failures.some((f) => f.SenderFault));
  };
  await retry(SEND_ROUNDS, round, clock, {
    retryable: (err) => err instanceof Unaccepted && !err.senderFault,
  }).catch((err: unknown) => {
    if (!(err instanceof Unaccepted)) throw err;
    const codes = [...new Set(failures.map((f) => f.Code ?? "unknown"))].join(", ");
    throw unavailable("SQS", new Error(`${pending.length} messages not accepted (${codes})`));
  });
}
