/**
 * The schedule evaluator: pure functions from a schedule and an instant to
 * fire instants. Time zones and DST exist only inside this folder.
 */

export {
  dayOfDate,
  normaliseExclusions,
  validateCalendarName,
} from "./calendar-rules.js";
export { firstRun, nextRunAfter, scheduleZone, upcoming } from "./evaluate.js";
export { type Explained, explainFires } from "./explain.js";
export { type FireContext, firstFire, jitterOffset, nextFire } from "./fire.js";
export { formatLocal } from "./format.js";
export { type CatchUp, planCatchUp } from "./misfire.js";
export { parseSchedule, type ScheduleInput } from "./parse.js";
export { DEFAULT_MISFIRE, type PolicyInput } from "./policies.js";
