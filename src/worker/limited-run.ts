import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { RunRef, StartReads } from "../core/execution.js";
import type { JobLimits, JobTarget } from "../core/job.js";
import type { StartOutcome } from "../core/ports/execution-store.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import { carriedBy, runMessageFor } from "../core/run-message.js";
import { type LimitedStartDeps, startUnderLimits } from "./limited-start.js";
import { resentWait } from "./tenant-hold.js";

/**
 * Starts a run of a job with limits. A run that must wait is sent again
 * with a delay (its message carries the wait, so that its start records it)
 * and this delivery removed ("held"); one the overlap policy drops is
 * recorded SKIPPED and removed ("held" too).
 */
export async function startLimitedRun(
  deps: {
    limits: Omit<LimitedStartDeps, "clock">;
    queue: Pick<WorkQueue, "send" | "ack">;
    clock: Clock;
    /** `chronoring_runs_limited_total`. */
    limited: { inc(labels: { action: string }): void };
    workerId: string;
  },
  delivery: Delivery,
  run: RunRef,
  target: JobTarget,
  limits: JobLimits,
  logger: Logger,
  inherited: StartReads,
): Promise<StartOutcome | "held"> {
  const { queue, clock } = deps;
  const start = await startUnderLimits(
    { ...deps.limits, clock },
    run,
    limits,
    deps.workerId,
    delivery.sentMs,
    inherited,
    delivery.wait,
  );
  if (start.kind === "waiting") {
    await queue.send([
      runMessageFor(run, {
        ...carriedBy(delivery),
        target,
        limits,
        wait: resentWait(delivery, "JOB_LIMITS", clock.now()),
        delayMs: start.untilMs - clock.now(),
      }),
    ]);
    await queue.ack(delivery);
    deps.limited.inc({ action: "waited" });
    logger.debug({ reason: start.reason, untilMs: start.untilMs }, "run waits for its limits");
    return "held";
  }
  if (start.kind === "skipped") {
    await queue.ack(delivery);
    deps.limited.inc({ action: "skipped" });
    logger.info({ reason: start.reason }, "run skipped by the overlap policy");
    return "held";
  }
  return start.kind;
}
