import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import type { DueJob, JobStore } from "../core/ports/job-store.js";
import type { OutgoingRun, WorkQueue } from "../core/ports/work-queue.js";
import { runMessageFor } from "../core/run-message.js";
import { windowOf } from "../core/schedule/flexible-window.js";
import { nextFire } from "../core/schedule/index.js";
import type { CalendarCache } from "./calendar-cache.js";
import { createDueClaims } from "./claim-due.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SchedulerMetrics } from "./metrics.js";
import { checkAt, type ExpectedRun, expired, standbyAction } from "./standby-plan.js";

/** HIGH jobs one read of a partition's HIGH index asks for. */
const STANDBY_READ = 100;

/** What the standby knows of one partition it stands by for. */
interface Watch {
  partition: number;
  /** The partition's HIGH jobs as last read (schedule, tenant, claim state). */
  jobs: Map<string, DueJob>;
  /**
   * Runs to check, by `<job>:<ms>`, each with when, whether a check withheld
   * it already, and whether this standby sent it already (a run is sent at
   * most twice: see `act`).
   */
  expected: Map<string, { run: ExpectedRun; at: number; withheld?: boolean; sent?: boolean }>;
  readAt: number;
  busy: boolean;
}

/**
 * The standby of HIGH runs. Each partition has a standby node: the one
 * that would own it if its owner left (the next node on the hash ring,
 * `standbyPartitions`), which is where the partition goes when it does.
 * The standby reads the partition's HIGH runs from the HIGH index, expects
 * each job's runs from its schedule, and `hedgeMs` after each run's time
 * checks that a worker started it (one consistent read of the first
 * attempt's record per run, batched). One not started is sent again if a
 * claim recorded it (its owner claimed it and died, or froze, before its
 * send), or claimed here and sent if nobody claimed it (its owner is gone
 * or far behind): see `standbyAction`. So a HIGH run of a partition whose
 * owner was killed starts about `hedgeMs` late, not a session TTL and an
 * assignment later. A run sent here is checked once more a hedge later and
 * sent a second time if it has still not started: a worker that took the
 * first message and died before its start keeps it invisible for the
 * queue's visibility timeout (measured in `bench failover`: a HIGH run's
 * hedge taken by the worker SIGKILLed then started 4.6 s late, at the
 * recovery sweep).
 *
 * Nothing here can start a run twice or start one that should not run: the
 * claim is the owner's compare-and-set (without the owner's fence: the
 * standby does not own the partition, and the compare-and-set on the job's
 * next run alone makes one claim of a run), and a run sent again is attempt
 * 1, whose start is conditional on its execution id; a run is sent again
 * only when a claim recorded it (never for a job paused or deleted before
 * its claim).
 */
export function createStandby(deps: {
  jobs: JobStore;
  executions: Pick<ExecutionStore, "startedRuns">;
  queue: Pick<WorkQueue, "depth">;
  dispatcher: Dispatcher;
  clock: Clock;
  metrics: SchedulerMetrics;
  logger: Logger;
  options: {
    hedgeMs: number;
    lookaheadMs: number;
    pollBackstopMs: number;
    startTimeoutMs: number;
    retryMs: number;
  };
  calendars?: CalendarCache;
  canClaim: () => boolean;
  sleep: (ms: number) => Promise<void>;
  stopped: () => boolean;
}) {
  const { jobs, executions, queue, dispatcher, clock, metrics, logger, options } = deps;
  const { claimDue, contextOf } = createDueClaims({ ...deps, store: jobs });
  const watches = new Map<number, Watch>();

  function expect(w: Watch, jobId: string, scheduledMs: number | undefined): void {
    if (scheduledMs === undefined) return;
    const key = `${jobId}:${scheduledMs}`;
    if (w.expected.has(key)) return;
    // One run per job at a time: the next is expected once this one is checked.
    for (const [k, e] of w.expected)
      if (e.run.jobId === jobId && e.run.scheduledMs > scheduledMs) w.expected.delete(k);
    if ([...w.expected.values()].some((e) => e.run.jobId === jobId)) return;
    const job = w.jobs.get(jobId);
    const windowMs = job ? windowOf(job.schedule) : 0;
    const run = { jobId, scheduledMs, ...(windowMs > 0 && { windowMs }) };
    w.expected.set(key, { run, at: checkAt(run, options.hedgeMs) });
  }

  /** The run after `run` of its job, from the schedule as last read. */
  function advance(w: Watch, run: ExpectedRun): void {
    w.expected.delete(`${run.jobId}:${run.scheduledMs}`);
    const job = w.jobs.get(run.jobId);
    if (job) expect(w, run.jobId, nextFire(job.schedule, run.scheduledMs, contextOf(job)));
  }

  /** Reads the partition's HIGH jobs: what is expected of each, and when to read again. */
  async function read(w: Watch): Promise<Map<string, DueJob>> {
    const now = clock.now();
    const due = await jobs.dueJobs(w.partition, Number.MAX_SAFE_INTEGER, STANDBY_READ, "HIGH");
    const fresh = new Map(due.map((j) => [j.id, j]));
    for (const job of due) {
      w.jobs.set(job.id, job);
      expect(w, job.id, job.nextRunMs);
    }
    const last = due[due.length - 1];
    w.readAt =
      due.length >= STANDBY_READ && last
        ? Math.max(now + options.hedgeMs, last.nextRunMs - options.lookaheadMs)
        : now + options.pollBackstopMs;
    return fresh;
  }

  /** The runs of `w` whose time + `hedgeMs` has come (those past recovery are dropped). */
  function dueRuns(w: Watch, now: number): ExpectedRun[] {
    const runs: ExpectedRun[] = [];
    for (const { run, at } of w.expected.values()) {
      if (expired(run, now, options.startTimeoutMs))
        w.expected.delete(`${run.jobId}:${run.scheduledMs}`);
      else if (at <= now) runs.push(run);
    }
    return runs;
  }

  /**
   * Acts on `runs` of `w`, whose started ones are in `started` (read for
   * every partition checked at once): a run not started is looked up further.
   */
  async function act(w: Watch, runs: ExpectedRun[], started: Set<string>, now: number) {
    const unstarted = runs.filter((r) => !started.has(`${r.jobId}:${r.scheduledMs}`));
    const claimed = unstarted.length ? await jobs.recordedClaims(unstarted) : new Set<string>();
    const unclaimed = unstarted.some((r) => !claimed.has(`${r.jobId}:${r.scheduledMs}`));
    const fresh = unclaimed ? await read(w) : new Map<string, DueJob>();
    const highBacklog =
      unstarted.length >
        unstarted.filter((r) => !claimed.has(`${r.jobId}:${r.scheduledMs}`)).length &&
      (await queue.depth("HIGH").then(
        (d) => d.visible > 0,
        () => false,
      ));
    const resend: OutgoingRun[] = [];
    const toClaim: DueJob[] = [];
    for (const run of runs) {
      const key = `${run.jobId}:${run.scheduledMs}`;
      const entry = w.expected.get(key);
      const action = standbyAction(
        run,
        {
          started: started.has(key),
          claimed: claimed.has(key),
          indexedAtMs: fresh.get(run.jobId)?.nextRunMs,
        },
        { highBacklog },
      );
      if (action === "withhold" && entry?.sent) {
        // Its message is most likely among those waiting: nothing more to do.
        advance(w, run);
        continue;
      }
      if (action === "withhold") {
        // Checked again a hedge later, until the recovery sweep's time: a
        // backlog seen once may be a round just sent ahead of its time.
        if (!entry?.withheld) metrics.standby.inc({ action: "withheld" });
        w.expected.set(key, { ...entry, run, at: now + options.hedgeMs, withheld: true });
        continue;
      }
      if (action === "send") resend.push(hedged(w, run));
      if (action === "claim") toClaim.push(fresh.get(run.jobId)!);
      // A run this standby sent is checked once more a hedge later: its
      // message may have gone to a worker that died before starting it.
      if ((action === "send" || action === "claim") && !entry?.sent) {
        w.expected.set(key, { run, at: now + options.hedgeMs, sent: true });
        continue;
      }
      advance(w, run);
    }
    if (resend.length) {
      logger.warn(
        { partition: w.partition, runs: resend.length },
        "HIGH runs claimed but not started in time; sending them again",
      );
      dispatcher.hold(resend);
      metrics.standby.inc({ action: "sent" }, resend.length);
    }
    if (toClaim.length) {
      const won = await claimDue(toClaim, undefined, now);
      metrics.standby.inc({ action: "claimed" }, won.claimed);
      if (won.claimed) {
        logger.warn(
          { partition: w.partition, runs: won.claimed },
          "HIGH runs not claimed by their owner in time; claimed and sent by the standby",
        );
      }
    }
  }

  /** Attempt 1 of a run its owner claimed, to its job's HIGH queue; the worker reads the job. */
  function hedged(w: Watch, run: ExpectedRun): OutgoingRun {
    // Expected runs are of jobs read from the index: the job is known.
    const job = w.jobs.get(run.jobId)!;
    return runMessageFor(
      {
        tenant: job.tenant,
        jobId: run.jobId,
        partition: w.partition,
        scheduledMs: run.scheduledMs,
        attempt: 1,
        manual: false,
      },
      { priority: "HIGH" },
    );
  }

  function nextAt(w: Watch): number {
    let at = w.readAt;
    for (const e of w.expected.values()) at = Math.min(at, e.at);
    return at;
  }

  function failed(w: Watch, err: unknown, now: number): void {
    metrics.loopErrors.inc({ loop: "standby" });
    logger.warn({ err, partition: w.partition }, "standby check failed; will retry");
    w.readAt = Math.min(w.readAt, now + options.retryMs);
    for (const e of w.expected.values()) e.at = Math.max(e.at, now + options.retryMs);
  }

  /**
   * One round over every partition whose check or read is due: reads first,
   * then one consistent read of the first attempts of all their due runs
   * (BatchGetItem, 100 keys a request), then each partition acts on its own.
   * Runs due at the same time in different partitions (every-second jobs
   * spread over the ring) are checked together: one request per round, where
   * a read per partition cost a request per run and second.
   */
  async function round(due: Watch[], now: number): Promise<void> {
    const ok: Watch[] = [];
    for (const w of due) {
      try {
        if (w.readAt <= now) await read(w);
        ok.push(w);
      } catch (err) {
        failed(w, err, now);
      }
    }
    const at = clock.now();
    const checks = ok.map((w) => ({ w, runs: dueRuns(w, at) })).filter((c) => c.runs.length > 0);
    const all = checks.flatMap((c) => c.runs);
    if (all.length === 0) return;
    metrics.standby.inc({ action: "checked" }, all.length);
    let started: Set<string>;
    try {
      started = await executions.startedRuns(all);
    } catch (err) {
      for (const { w } of checks) failed(w, err, at);
      return;
    }
    for (const { w, runs } of checks) {
      try {
        await act(w, runs, started, at);
      } catch (err) {
        failed(w, err, at);
      }
    }
  }

  async function loop(): Promise<void> {
    while (!deps.stopped()) {
      const now = clock.now();
      const due: Watch[] = [];
      let at = Number.POSITIVE_INFINITY;
      for (const w of watches.values()) {
        if (w.busy) continue;
        const t = nextAt(w);
        if (t <= now) due.push(w);
        else at = Math.min(at, t);
      }
      if (due.length === 0) {
        await deps.sleep(Math.max(1, Math.min(at - now, options.pollBackstopMs)));
        continue;
      }
      if (!deps.canClaim()) {
        await deps.sleep(options.retryMs);
        continue;
      }
      for (const w of due) w.busy = true;
      try {
        await round(due, now);
      } finally {
        for (const w of due) w.busy = false;
      }
    }
  }

  return {
    /** The partitions this node stands by for now (none while the standby is off). */
    set(partitions: number[]): void {
      const wanted = new Set(options.hedgeMs > 0 ? partitions : []);
      for (const p of watches.keys()) if (!wanted.has(p)) watches.delete(p);
      const now = clock.now();
      for (const partition of wanted) {
        if (watches.has(partition)) continue;
        watches.set(partition, {
          partition,
          jobs: new Map(),
          expected: new Map(),
          readAt: now,
          busy: false,
        });
      }
    },
    /** A job of `partition` runs next at `nextRunMs`: read in time to expect it. */
    wake(partition: number, nextRunMs: number): boolean {
      const w = watches.get(partition);
      if (!w) return false;
      const at = Math.max(clock.now(), nextRunMs - options.lookaheadMs);
      if (at >= w.readAt) return false;
      w.readAt = at;
      return true;
    },
    /** Partitions stood by for. */
    partitions(): number[] {
      return [...watches.keys()];
    },
    start(): Promise<void> {
      return loop();
    },
  };
}
