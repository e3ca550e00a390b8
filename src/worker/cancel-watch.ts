import type { Logger } from "pino";
import { every } from "../core/clock.js";
import type { LimitedStartDeps } from "./limited-start.js";

/** Why a run was aborted when a newer run of its job cancelled it. */
export class RunCancelled extends Error {}

/**
 * Aborts the run when a newer run asks it to stop (overlap CANCEL_PREVIOUS),
 * checking every `cancelCheckMs` (1 s); returns the stop of the watch.
 */
export function watchCancel(
  deps: Pick<LimitedStartDeps, "limits" | "cancelCheckMs" | "clock">,
  id: string,
  abort: AbortController,
  logger: Logger,
): () => void {
  const timer = every(deps.clock, deps.cancelCheckMs ?? 1000, () => {
    deps.limits
      .cancelRequested(id)
      .then((reason) => {
        if (reason && !abort.signal.aborted) abort.abort(new RunCancelled(reason));
      })
      .catch((err: unknown) => logger.warn({ err }, "could not check for a cancel request"));
  });
  return () => timer.cancel();
}
