import { PRIORITIES, type Priority } from "../core/priority.js";

/**
 * The queue asked first by each receive of a cycle: out of every 7 receives,
 * HIGH first 4 times, MEDIUM twice, LOW once. With the fall-through below,
 * while every queue has a backlog each priority gets at least its share of
 * receives (HIGH 4/7, MEDIUM 2/7, LOW 1/7): higher first, none starved.
 */
export const RECEIVE_CYCLE: readonly Priority[] = [
  "HIGH",
  "HIGH",
  "HIGH",
  "HIGH",
  "MEDIUM",
  "MEDIUM",
  "LOW",
];

/**
 * The order in which receive number `n` (0, 1, 2, ...) asks the queues: the
 * cycle's queue first, then the others highest first. A receive takes from
 * the first queue in this order that has runs.
 */
export function receiveOrder(n: number): Priority[] {
  const first = RECEIVE_CYCLE[n % RECEIVE_CYCLE.length]!;
  return [first, ...PRIORITIES.filter((p) => p !== first)];
}

/**
 * Splits `free` slots over the queues a worker long-polls at once when all
 * were empty. Higher priorities get the remainder. Every queue asks for at
 * least 1: with fewer free slots than queues the polls may bring more runs
 * than slots, and the worker releases the extra ones at once rather than
 * leave a queue unwatched. The counts are runs: the queue turns them into
 * messages (SQS's 10 at most, of up to 10 runs each), so a poll is not held
 * to 10 runs, one message of ten.
 */
export function splitSlots(free: number, queues: readonly Priority[]): Map<Priority, number> {
  const out = new Map<Priority, number>();
  const base = Math.floor(free / queues.length);
  let rest = free - base * queues.length;
  for (const q of queues) {
    out.set(q, Math.max(1, base + (rest > 0 ? 1 : 0)));
    if (rest > 0) rest--;
  }
  return out;
}
