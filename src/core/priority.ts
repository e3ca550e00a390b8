/**
 * Run priorities. Each has its own queue; workers take higher ones first
 * without starving lower ones (`src/worker/priority-order.ts`). MEDIUM is the
 * default and is never stored: a job without a priority costs nothing extra.
 */
export type Priority = "HIGH" | "MEDIUM" | "LOW";

/** Highest first: the order a receive falls through the queues. */
export const PRIORITIES: readonly Priority[] = ["HIGH", "MEDIUM", "LOW"];

export const DEFAULT_PRIORITY: Priority = "MEDIUM";

export function isPriority(value: unknown): value is Priority {
  return value === "HIGH" || value === "MEDIUM" || value === "LOW";
}

/** A stored or sent priority; anything else (absent, unknown) is MEDIUM. */
export function priorityOf(value: unknown): Priority {
  return isPriority(value) ? value : DEFAULT_PRIORITY;
}
