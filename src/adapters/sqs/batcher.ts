import { type Clock, systemClock, type Timer } from "../../core/clock.js";

/**
 * Collects items for up to `waitMs` (or until `max`) and hands them to
 * `flush` together; each `add` resolves, or rejects with its own error, once
 * its batch is done. The wait runs on `clock`.
 */
export function createBatcher<T>(
  max: number,
  waitMs: number,
  flush: (items: T[]) => Promise<Array<Error | undefined>>,
  clock: Clock = systemClock,
): { add(item: T): Promise<void> } {
  let pending: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  let timer: Timer | undefined;
  const run = () => {
    timer?.cancel();
    timer = undefined;
    const batch = pending;
    pending = [];
    flush(batch.map((p) => p.item)).then(
      (errors) =>
        batch.forEach((p, i) => {
          const err = errors[i];
          if (err) p.reject(err);
          else p.resolve();
        }),
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
  };
  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= max) run();
        else timer ??= clock.setTimeout(run, waitMs);
      });
    },
  };
}
