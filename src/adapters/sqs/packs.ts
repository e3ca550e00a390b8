/**
 * Runs sent together share SQS messages: a send of n runs to one queue goes
 * out as ⌈n/10⌉ messages of as even a share as can be (28 runs: 10, 9 and 9),
 * where one message a run cost a request per ten runs at every step (send,
 * receive, delete). A message of one run keeps the plain run body; a pack's
 * body is `{"runs": [...]}` (`message-body.ts`).
 *
 * A receiver sees each run of a pack as a delivery of its own, with a handle
 * of its own (`<receipt>#<index>`), and acknowledges or gives back each run
 * on its own; `createPackTracker` keeps what that means for the message:
 * - it is deleted once every run of it is acknowledged (or sent again);
 * - given back whole (every run of it, none acknowledged), it is made
 *   visible again, and all of its runs come back;
 * - a run given back while others of its message are held or done is sent
 *   again as a message of its own (the run as received): the message itself
 *   must stay invisible for the runs still held, and would bring back the
 *   done ones. Should that send fail, the run stays in the message, which
 *   comes back when its visibility ends (the start's guard refuses the runs
 *   already started).
 */

/** Runs in one message at most. */
export const PACK_MAX_RUNS = 10;
/**
 * Bytes of the runs in one message at most (a bigger run goes alone): ten
 * messages then stay within 64 KB, SQS's billing unit of a request.
 */
export const PACK_MAX_BYTES = 6_000;

/**
 * Splits run bodies bound for one queue (same delay, same attributes) into
 * messages' runs: the fewest messages of `most` (at most `PACK_MAX_RUNS`), shared
 * evenly, a message closed early at `PACK_MAX_BYTES`. Keeps the bodies' order.
 */
export function packRuns(bodies: string[], most = PACK_MAX_RUNS): string[][] {
  const cap = Math.min(PACK_MAX_RUNS, Math.max(1, most));
  const per = Math.ceil(bodies.length / Math.ceil(bodies.length / cap));
  const packs: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    if (current.length > 0 && (current.length >= per || bytes + body.length > PACK_MAX_BYTES)) {
      packs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += body.length;
  }
  if (current.length > 0) packs.push(current);
  return packs;
}

/** A message's body for `runs` (JSON run bodies): the run itself, or a pack. */
export function messageBody(runs: string[]): string {
  return runs.length === 1 ? runs[0]! : `{"runs":[${runs.join(",")}]}`;
}

/** The handle of a pack's `index`th run. */
function memberHandle(receipt: string, index: number): string {
  return `${receipt}#${index}`;
}

/** One received pack: its runs still held (by handle), as received. */
interface Pack<R> {
  receipt: string;
  size: number;
  open: Map<string, R>;
  /** The message attributes it came with, for a run sent again. */
  attributes: unknown;
  receivedMs: number;
}

/**
 * A pack received this long ago is forgotten: its receipt has expired
 * (SQS's longest visibility is 12 hours), and a run of it that its worker
 * never settled (a start that failed, left for redelivery) has come back in
 * a new message since.
 */
export const PACK_FORGET_MS = 12 * 3_600_000;

/** What to do with the message of runs acknowledged or given back. */
export type PackAction<R = unknown> =
  | { kind: "none" }
  /** Every run of it is settled: delete it. */
  | { kind: "delete"; receipt: string }
  /** Given back whole: make it visible again. */
  | { kind: "release"; receipt: string }
  /** Send these runs again on their own; then `settled` them. */
  | { kind: "resend"; receipt: string; runs: R[]; handles: string[]; attributes: unknown };

/**
 * The packs a queue client has received and not yet settled, each run kept
 * as received (`R`) until it is settled, for a run sent again. A handle it
 * does not know is a message of one run (or of a pack settled already).
 */
export function createPackTracker<R = unknown>() {
  const byHandle = new Map<string, Pack<R>>();
  /** When the oldest pack still known was received (a bound: it may be gone). */
  let oldestMs = Number.POSITIVE_INFINITY;

  function forget(nowMs: number): void {
    oldestMs = Number.POSITIVE_INFINITY;
    for (const [handle, pack] of byHandle) {
      if (nowMs - pack.receivedMs > PACK_FORGET_MS) byHandle.delete(handle);
      else oldestMs = Math.min(oldestMs, pack.receivedMs);
    }
  }

  function settle(pack: Pack<R>, handles: Iterable<string>): PackAction<R> {
    for (const h of handles) {
      pack.open.delete(h);
      byHandle.delete(h);
    }
    return pack.open.size === 0 ? { kind: "delete", receipt: pack.receipt } : { kind: "none" };
  }

  return {
    /** Files a received pack; returns its runs' handles, in order. */
    received(receipt: string, runs: R[], attributes: unknown, nowMs: number): string[] {
      if (nowMs - oldestMs > PACK_FORGET_MS) forget(nowMs);
      const pack: Pack<R> = {
        receipt,
        size: runs.length,
        open: new Map(),
        attributes,
        receivedMs: nowMs,
      };
      oldestMs = Math.min(oldestMs, nowMs);
      return runs.map((run, i) => {
        const handle = memberHandle(receipt, i);
        pack.open.set(handle, run);
        byHandle.set(handle, pack);
        return handle;
      });
    },

    /** The receipt of the message a handle's run came in (itself, for a run alone). */
    receiptOf(handle: string): string {
      return byHandle.get(handle)?.receipt ?? handle;
    },

    isMember(handle: string): boolean {
      return byHandle.has(handle);
    },

    /** A run was acknowledged. */
    acked(handle: string): PackAction<R> {
      const pack = byHandle.get(handle);
      return pack ? settle(pack, [handle]) : { kind: "none" };
    },

    /** Runs sent again on their own (`resend`) are settled in their message. */
    settled(handles: string[]): PackAction<R> {
      const pack = handles.length > 0 ? byHandle.get(handles[0]!) : undefined;
      return pack ? settle(pack, handles) : { kind: "none" };
    },

    /** Runs given back (visibility 0): one action per message they came in. */
    givenBack(handles: string[]): PackAction<R>[] {
      const groups = new Map<Pack<R>, string[]>();
      for (const h of handles) {
        const pack = byHandle.get(h);
        if (!pack?.open.has(h)) continue;
        groups.set(pack, [...(groups.get(pack) ?? []), h]);
      }
      const actions: PackAction<R>[] = [];
      for (const [pack, mine] of groups) {
        if (mine.length === pack.open.size && pack.open.size === pack.size) {
          settle(pack, mine);
          actions.push({ kind: "release", receipt: pack.receipt });
        } else {
          actions.push({
            kind: "resend",
            receipt: pack.receipt,
            runs: mine.map((h) => pack.open.get(h)!),
            handles: mine,
            attributes: pack.attributes,
          });
        }
      }
      return actions;
    },

    /** Packs with runs still held. */
    get size(): number {
      return new Set(byHandle.values()).size;
    },
  };
}

export type PackTracker<R> = ReturnType<typeof createPackTracker<R>>;
