import type { Clock, Timer } from "../core/clock.js";
import { DEFAULT_PRIORITY, PRIORITIES, type Priority } from "../core/priority.js";

/**
 * How long a run's start (its conditional write) holds the slot it began
 * in. A start slower than this, a store that stalls, gives the slot back
 * and ends beside the slots, so that the next runs can begin theirs: a slot
 * held through a store's stall was measured to fill every slot, stop the
 * receive loop and leave the runs waiting in the queue (loadtest/README.md,
 * "Start lateness"). About three times a start write's median on DynamoDB
 * Local at half its ceiling: a store answering as usual never lends a slot.
 */
export const START_SLOT_MS = 25;

/** A run being started: the slot it holds, or gave back. */
export interface StartToken {
  /** Whether it still holds the slot it began in. */
  holding: boolean;
  /** The run's priority: a started run waiting for a slot is granted one by it. */
  priority: Priority;
  timer?: Timer;
}

/**
 * The worker's slots: `concurrency` handlers run at once, each in a slot.
 * A run begins its start in a free slot and keeps it for its handler,
 * unless the start outlasts `START_SLOT_MS`: it then gives the slot back
 * (at most `beyond` starts at once do so; 0, never) and, started, waits for
 * a slot: a HIGH run first, then MEDIUM, then LOW, first started first served
 * within a priority. So a store answering as usual leaves
 * a worker as it was (a start takes a slot's place, a run RUNNING in the
 * store has a slot), and a stalled one does not keep short runs out of the
 * slots: they begin their starts beside it, and a run started at the end
 * of the stall waits for a slot only until one is free.
 */
export interface Slots {
  /** Runs that may begin their start now: the free slots. */
  room(): number;
  /** Runs that hold a slot or wait for one: what the intake counts against its capacity. */
  held(): number;
  /** Every slot is held. */
  full(): boolean;
  /** A run of `priority` (default MEDIUM) begins its start in a free slot (`room` was above 0). */
  begin(priority?: Priority): StartToken;
  /** Its start ended without a run to execute (a duplicate, a stopped job, held back, failed). */
  abandon(token: StartToken): void;
  /**
   * Its start ended with the run started: resolves once a slot is its, at
   * once when it kept the one it began in.
   */
  acquire(token: StartToken): Promise<void>;
  /** The handler returned: the slot goes to the next run while this one finishes. */
  release(): void;
  /** A released run finished: its outcome is written (its message's delete may still wait for a batch). */
  finished(): void;
}

export function createSlots(options: {
  concurrency: number;
  /** Starts that may end beside the slots at once, having given theirs back. */
  beyond: number;
  /** The lending timers run on it. */
  clock: Clock;
  /** Told whenever the counts changed: the intake may start more, the receive loop take more. */
  changed(): void;
}): Slots {
  const { concurrency, beyond, clock } = options;
  /** Starts in flight that hold the slot they began in. */
  let holding = 0;
  /** Starts in flight that gave their slot back. */
  let lent = 0;
  let handlers = 0;
  /** Runs past their handler, writing their outcome and removing their message. */
  let finishing = 0;
  /** Started runs that gave their slot back, waiting for one, by priority. */
  const waiting = new Map<Priority, Array<() => void>>(PRIORITIES.map((p) => [p, []]));
  let waitingCount = 0;

  /** The next started run to get a slot: the highest priority's first. */
  function nextWaiting(): (() => void) | undefined {
    for (const priority of PRIORITIES) {
      const grant = waiting.get(priority)!.shift();
      if (grant) {
        waitingCount--;
        return grant;
      }
    }
    return undefined;
  }

  /**
   * Slots in use: starts that hold theirs, running handlers, and finishing
   * runs beyond `concurrency` (so at most twice `concurrency` runs are in a
   * worker past their start, and a slow store still slows its intake).
   */
  const occupied = () => holding + handlers + Math.max(0, finishing - concurrency);

  function grant(): void {
    while (waitingCount > 0 && occupied() < concurrency) {
      handlers++;
      nextWaiting()!();
    }
  }

  function changed(): void {
    grant();
    options.changed();
  }

  /** Ends the token's start: the slot it holds is given back, or its lending ends. */
  function end(token: StartToken): void {
    token.timer?.cancel();
    if (token.holding) holding--;
    else lent--;
  }

  return {
    room: () => Math.max(0, concurrency - occupied() - waitingCount),
    held: () => occupied() + waitingCount,
    full: () => occupied() >= concurrency,
    begin(priority = DEFAULT_PRIORITY) {
      holding++;
      const token: StartToken = { holding: true, priority };
      if (beyond > 0) {
        token.timer = clock.setTimeout(() => {
          token.timer = undefined;
          if (!token.holding || lent >= beyond) return;
          token.holding = false;
          holding--;
          lent++;
          changed();
        }, START_SLOT_MS);
      }
      return token;
    },
    abandon(token) {
      end(token);
      changed();
    },
    acquire(token) {
      if (token.holding) {
        // The slot it began in becomes its handler's.
        token.timer?.cancel();
        holding--;
        handlers++;
        return Promise.resolve();
      }
      end(token);
      const granted = new Promise<void>((resolve) => {
        waiting.get(token.priority)!.push(resolve);
        waitingCount++;
      });
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
