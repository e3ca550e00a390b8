/**
 * The worker's slots: how many handlers run at once (`concurrency`), and how
 * many runs are being started (their conditional write in flight) beside
 * them. A start holds no slot while it waits on the store: measured, a slot
 * held from the start write to the handler's return was mostly store round
 * trip for short handlers, and with every slot full the receive loop took
 * nothing while runs waited in the queue (loadtest/README.md, "Start
 * lateness"). A started run takes a slot for its handler; if none is free
 * it waits for one, first started first served.
 *
 * How many starts may be in flight follows the free slots: `startConcurrency`
 * while every slot is free, that share of it while some are busy
 * (rounded up), none while none is free. Short handlers thus get many
 * starts in flight, and long ones, which keep the slots full, leave few
 * started runs waiting for a slot.
 */
export interface Slots {
  /** Runs that may begin their start now. */
  room(): number;
  /** Runs that hold a slot or wait for one: what the intake counts against its capacity. */
  held(): number;
  /** Every slot is held. */
  full(): boolean;
  /** A run begins its start (`room` was above 0). */
  begin(): void;
  /** Its start ended without a run to execute (a duplicate, a stopped job, held back, failed). */
  abandon(): void;
  /**
   * Its start ended with the run started: it leaves the starts and resolves
   * once a slot is its (at once when one is free).
   */
  acquire(): Promise<void>;
  /** The handler returned: the slot goes to the next run while this one finishes. */
  release(): void;
  /** A released run finished (outcome written, message removed). */
  finished(): void;
}

export function createSlots(options: {
  concurrency: number;
  startConcurrency: number;
  /** Told whenever the counts changed: the intake may start more, the receive loop take more. */
  changed(): void;
}): Slots {
  const { concurrency, startConcurrency } = options;
  let starting = 0;
  let handlers = 0;
  /** Runs past their handler, writing their outcome and removing their message. */
  let finishing = 0;
  const waiting: Array<() => void> = [];

  /**
   * Slots in use: running handlers, and finishing runs beyond `concurrency`
   * (so at most twice `concurrency` runs are in a worker past their start,
   * and a slow store still slows its intake).
   */
  const occupied = () => handlers + Math.max(0, finishing - concurrency);

  function grant(): void {
    while (waiting.length > 0 && occupied() < concurrency) {
      handlers++;
      waiting.shift()!();
    }
  }

  function changed(): void {
    grant();
    options.changed();
  }

  return {
    room() {
      const free = concurrency - occupied() - waiting.length;
      if (free <= 0) return 0;
      return Math.max(0, Math.ceil((startConcurrency * free) / concurrency) - starting);
    },
    held: () => occupied() + waiting.length,
    full: () => occupied() >= concurrency,
    begin() {
      starting++;
    },
    abandon() {
      starting--;
      changed();
    },
    acquire() {
      starting--;
      const granted = new Promise<void>((resolve) => waiting.push(resolve));
      changed();
      return granted;
    },
    release() {
      handlers--;
      finishing++;
      changed();
    },
    finished() {
      finishing--;
      changed();
    },
  };
}
