/**
 * The schedule evaluator: pure functions from a schedule and an instant to
 * fire instants. Time zones and DST exist only inside this folder.
 */

export { firstRun, nextRunAfter, scheduleZone, upcoming } from "./evaluate.js";
export { formatLocal } from "./format.js";
export { parseSchedule, type ScheduleInput } from "./parse.js";
