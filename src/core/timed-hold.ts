import type { Clock, Timer } from "./clock.js";

/**
 * Items held until a time each, on one timer: it fires `gatherMs` after the
 * earliest item's time and hands `release` every item whose time has come,
 * earliest first, so items due within the gather window go together. The
 * scheduler's dispatcher holds claimed runs in one until they are sent; the
 * worker's intake holds runs received ahead of their planned start.
 */
export interface TimedHold<T> {
  /** Holds `item` until `at` (epoch ms). */
  add(at: number, item: T): void;
  /** Items held. */
  readonly size: number;
  /** Every item held, not removed. */
  all(): T[];
  /** Releases the items whose time has come now, without waiting for the gather window. */
  flush(): void;
  /** Removes and returns every item, due or not; the timer stops. */
  drain(): T[];
}

export function createTimedHold<T>(
  clock: Clock,
  gatherMs: number,
  release: (items: T[]) => void,
): TimedHold<T> {
  /** Held items by their time. */
  const held = new Map<number, T[]>();
  let size = 0;
  let timer: Timer | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  function stop(): void {
    timer?.cancel();
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
  }

  /** Fires at `at` unless the timer already fires sooner. */
  function armAt(at: number): void {
    if (timer && at >= timerAt) return;
    timer?.cancel();
    timerAt = at;
    timer = clock.setTimeout(flush, Math.max(0, at - clock.now()));
  }

  /** After a release: for the earliest item left (one pass over the times held). */
  function arm(): void {
    if (held.size === 0) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of held.keys()) if (t < earliest) earliest = t;
    armAt(earliest + gatherMs);
  }

  function flush(): void {
    stop();
    const now = clock.now();
    const due: T[] = [];
    for (const t of [...held.keys()].sort((a, b) => a - b)) {
      if (t > now) break;
      due.push(...held.get(t)!);
      held.delete(t);
    }
    size -= due.length;
    if (due.length > 0) release(due);
    arm();
  }

  return {
    add(at, item) {
      const list = held.get(at);
      if (list) list.push(item);
      else held.set(at, [item]);
      size++;
      armAt(at + gatherMs);
    },
    get size() {
      return size;
    },
    all: () => [...held.values()].flat(),
    flush,
    drain() {
      stop();
      const items = [...held.values()].flat();
      held.clear();
      size = 0;
      return items;
    },
  };
}
