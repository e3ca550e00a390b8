/** Backfills: a job run once for each selected nominal time of a past range (BackfillService). */

export {
  type AdvanceDeps,
  BACKFILL_PRIORITY,
  type BackfillAdvance,
  createBackfillAdvance,
} from "./advance.js";
export {
  type BackfillCommands,
  type BackfillRequest,
  type BackfillStart,
  createBackfillCommands,
} from "./commands.js";
export { isFinal, progressOf, selectRun } from "./selection.js";
export * from "./types.js";
export { checkBackfillId } from "./validate.js";
export { countNominals, walk } from "./walk.js";
