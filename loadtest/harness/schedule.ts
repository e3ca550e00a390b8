import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CreateJobRequestSchema } from "../../gen/chronoring/v1/job_service_pb.js";
import { Priority } from "../../gen/chronoring/v1/priority_pb.js";
import { systemClock } from "../../src/core/clock.js";
import { retry } from "../../src/core/retry.js";
import type { Stack } from "./stack.js";

/** The observed window: every schedule fires each second in [startMs, endMs). */
export interface Window {
  startMs: number;
  endMs: number;
}

/** A window's length in seconds: what the scenarios report as `window_s`. */
export const windowSeconds = (window: Window) => (window.endMs - window.startMs) / 1000;

/**
 * Creates `jobs` schedules firing every second into `url`, 20 calls at a
 * time. The window starts once every job exists; each schedule ends with it,
 * so that the runs still queued at its end complete instead of being cancelled.
 */
export async function createEverySecondJobs(
  stack: Stack,
  options: {
    jobs: number;
    durationS: number;
    url: string;
    name: string;
    /** Their priority (absent: the default, MEDIUM). */
    priority?: "HIGH" | "MEDIUM" | "LOW";
  },
  log: (line: string) => void,
): Promise<{
  ids: string[];
  window: Window;
  /** When the schedules begin: the window's start before `judgedFrom`. */
  scheduledFromMs: number;
}> {
  const ids: string[] = [];
  const startMs = Math.ceil((Date.now() + options.jobs * 15) / 1000) * 1000 + 3000;
  const endMs = startMs + options.durationS * 1000;
  const keys = randomUUID();
  for (let i = 0; i < options.jobs; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, options.jobs - i) }, (_, k) =>
        createJobRetrying(stack, {
          name: `${options.name} ${i + k}`,
          idempotencyKey: `${keys}-${i + k}`,
          owner: options.name,
          schedule: {
            kind: { case: "cron", value: "* * * * * *" },
            startTime: timestampFromMs(startMs),
            endTime: timestampFromMs(endMs - 1),
          },
          target: { kind: { case: "http", value: { method: "POST", url: options.url } } },
          ...(options.priority ? { priority: Priority[options.priority] } : {}),
        }),
      ),
    );
    ids.push(...batch.map((r) => r.job!.id));
  }
  const window = { startMs: judgedFrom(startMs, log), endMs };
  log(`${ids.length} jobs firing every second; window of ${windowSeconds(window)} s begins`);
  return { ids, window, scheduledFromMs: startMs };
}

/**
 * Where a window of every-second jobs is judged from, once they are all stored: its start, or
 * the first whole second a second after now if creating them ran into it. A run due before its
 * job existed is not one (no schedule fires in the past); the seconds left out are not checked
 * for duplicates either.
 */
export function judgedFrom(
  windowStartMs: number,
  log: (line: string) => void,
  now = Date.now(),
): number {
  const readyMs = Math.ceil((now + 1000) / 1000) * 1000;
  if (readyMs <= windowStartMs) return windowStartMs;
  log(
    `warning: creating the jobs ran into the window; it is judged from ${(readyMs - windowStartMs) / 1000} s later`,
  );
  return readyMs;
}

/** Five tries, 200 ms apart and doubling: about 3 s in all. */
const UNAVAILABLE_RETRY = { baseMs: 200, maxMs: 2_000, attempts: 5 };

/**
 * CreateJob, tried again while answered Unavailable (the store too slow for
 * the API's deadline on a busy machine, as when several scenarios share it).
 * The request carries an idempotency key, so a create that did land is not
 * made twice.
 */
export function createJobRetrying(
  stack: Stack,
  request: MessageInitShape<typeof CreateJobRequestSchema> & { idempotencyKey: string },
) {
  const { jobs } = stack.clients();
  return retry(UNAVAILABLE_RETRY, () => jobs.createJob(request), systemClock, {
    retryable: (e) => e instanceof ConnectError && e.code === Code.Unavailable,
  });
}

/** One timed fault of a scenario: `act` runs `atS` seconds into the window. */
export interface Fault {
  atS: number;
  what: string;
  act: () => Promise<void>;
}

/** What happened: when each fault began and ended (epoch ms). */
export interface FaultRecord {
  what: string;
  /** Seconds into the window when it began. */
  atS: number;
  startMs: number;
  doneMs: number;
}

/** Runs the faults in order of their times, each waited for, and logs each. */
export async function runFaults(
  window: Window,
  faults: Fault[],
  log: (line: string) => void,
): Promise<FaultRecord[]> {
  const done: FaultRecord[] = [];
  for (const fault of [...faults].sort((a, b) => a.atS - b.atS)) {
    await sleep(Math.max(0, window.startMs + fault.atS * 1000 - Date.now()));
    const startMs = Date.now();
    const atS = Math.round((startMs - window.startMs) / 100) / 10;
    await fault.act();
    done.push({ what: fault.what, atS, startMs, doneMs: Date.now() });
    log(`t=${atS}s ${fault.what}`);
  }
  return done;
}
