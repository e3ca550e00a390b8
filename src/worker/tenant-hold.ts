import type { Logger } from "pino";
import { backoffDelay } from "../core/backoff.js";
import type { Clock } from "../core/clock.js";
import type { RunRef, RunWait, WaitReason } from "../core/execution.js";
import type { JobLimits, JobTarget } from "../core/job.js";
import type { Delivery, WorkQueue } from "../core/ports/work-queue.js";
import { carriedBy, runMessageFor } from "../core/run-message.js";
import type { TenantGate } from "./tenant-gate.js";

/** The longest a run sent back for its tenant's concurrency stays away. */
export const MAX_HOLD_DELAY_MS = 60_000;

/**
 * The delay of a run sent back for its tenant's concurrency, after
 * `resends` earlier re-sends: `baseMs` doubled each time, at most 60 s, so a
 * long burst over the quota costs a few re-sends per run, not one a second.
 */
export function concurrencyDelayMs(baseMs: number, resends: number): number {
  const policy = { baseMs: Math.min(baseMs, MAX_HOLD_DELAY_MS), maxMs: MAX_HOLD_DELAY_MS };
  return backoffDelay(policy, resends + 1);
}

/** The wait a held run carries on: the first reason and time it was held. */
export function waitOf(
  delivery: Pick<Delivery, "wait">,
  reason: WaitReason,
  nowMs: number,
): RunWait {
  return delivery.wait ?? { reason, sinceMs: nowMs, resends: 0 };
}

/** The wait a run sent back now carries: its first hold, one more re-send. */
export function resentWait(
  delivery: Pick<Delivery, "wait">,
  reason: WaitReason,
  nowMs: number,
): RunWait {
  const wait = waitOf(delivery, reason, nowMs);
  return { ...wait, resends: wait.resends + 1 };
}

/** What a re-sent run carries so that its next worker need not read the job. */
export interface HeldRun {
  delivery: Delivery;
  run: RunRef;
  target?: JobTarget | undefined;
  limits?: JobLimits | undefined;
  workflowId?: string | undefined;
}

/**
 * Sends a held run again after `delayMs`, counting the re-send in its wait,
 * then removes this delivery: a crash between the two leaves a duplicate
 * message (the start is keyed by execution id), never none.
 */
export async function resendHeld(
  queue: Pick<WorkQueue, "send" | "ack">,
  held: HeldRun,
  wait: RunWait,
  delayMs: number,
): Promise<void> {
  const { delivery } = held;
  await queue.send([
    runMessageFor(held.run, {
      ...carriedBy(delivery),
      ...(held.target ? { target: held.target } : {}),
      ...(held.limits ? { limits: held.limits } : {}),
      ...(held.workflowId ? { workflowId: held.workflowId } : {}),
      wait: { ...wait, resends: wait.resends + 1 },
      delayMs: Math.max(0, delayMs),
    }),
  ]);
  await queue.ack(delivery);
}

/**
 * Admits a run under its tenant's fire-time quotas; a run over them is held,
 * never dropped. Over `max_concurrent_runs`, it is parked in the worker's
 * intake (`park`) to start when one of the tenant's runs here ends, or, when
 * the tenant's wait list there is full, sent again with a delay that doubles
 * with each re-send. Over `max_fires_per_minute`, it is sent again once, to
 * the slot the limiter promised it. "start": the caller then releases it
 * with `gate.release` once it is over, however it ended.
 */
export async function admitForTenant(
  deps: {
    gate: TenantGate;
    queue: Pick<WorkQueue, "send" | "ack">;
    clock: Clock;
    /** Re-sends, by reason (`chronoring_runs_held_total`). */
    held: { inc(labels: { reason: string }): void };
    /** Runs parked in the intake, by reason (`chronoring_runs_parked_total`). */
    parked: { inc(labels: { reason: string }): void };
    park: (delivery: Delivery) => boolean;
    logger: Logger;
  },
  run: HeldRun,
): Promise<"start" | "parked" | "resent"> {
  const admission = await deps.gate.admit(run.run.tenant);
  if (admission.kind === "start") return "start";
  const now = deps.clock.now();
  const concurrency = admission.reason === "concurrency";
  const wait = waitOf(run.delivery, concurrency ? "TENANT_CONCURRENCY" : "TENANT_RATE", now);
  if (concurrency) {
    // The resolved target rides along: the parked run starts without reading the job.
    const parked: Delivery = {
      ...run.delivery,
      run: run.run,
      ...(run.target ? { target: run.target } : {}),
      ...(run.limits ? { limits: run.limits } : {}),
      ...(run.workflowId ? { workflowId: run.workflowId } : {}),
      wait,
    };
    if (deps.park(parked)) {
      deps.parked.inc({ reason: admission.reason });
      return "parked";
    }
  }
  const delayMs = concurrency
    ? concurrencyDelayMs(admission.untilMs - now, wait.resends)
    : admission.untilMs - now;
  await resendHeld(deps.queue, run, wait, delayMs);
  deps.held.inc({ reason: admission.reason });
  deps.logger.info(
    { tenant: run.run.tenant, reason: admission.reason, delayMs },
    `run held: tenant over its ${concurrency ? "max_concurrent_runs" : "max_fires_per_minute"} quota`,
  );
  return "resent";
}

/**
 * Sends back a run the intake had parked beyond its tenant's share of the
 * wait list, with the doubling delay (in the background: a failed send
 * leaves the message to come back after its visibility timeout).
 */
export function resendOverflow(
  deps: {
    queue: Pick<WorkQueue, "send" | "ack">;
    clock: Clock;
    held: { inc(labels: { reason: string }): void };
    logger: Logger;
    /** The first delay (`limit-retry-ms`). */
    retryMs: number;
  },
  delivery: Delivery,
): void {
  const wait = waitOf(delivery, "TENANT_CONCURRENCY", deps.clock.now());
  const run = { ...delivery.run, tenant: delivery.run.tenant ?? "" };
  deps.held.inc({ reason: "concurrency" });
  resendHeld(
    deps.queue,
    { ...delivery, delivery, run },
    wait,
    concurrencyDelayMs(deps.retryMs, wait.resends),
  ).catch((err: unknown) =>
    deps.logger.warn({ err }, "could not send a held run again; it will be redelivered"),
  );
}
