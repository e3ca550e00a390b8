/** The fire ledger: what became of every nominal fire time of a job (ListFires). */

export { classifyFires, type LedgerJob, pauseIntervals, runsByInstant } from "./classify.js";
export {
  checkLedgerQuery,
  createFireLedger,
  type FireLedger,
  type FireLedgerDeps,
  type LedgerQuery,
} from "./ledger.js";
export { type Nominal, nominalPage } from "./nominal.js";
export * from "./types.js";
