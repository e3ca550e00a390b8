/**
 * chronoring.v1.JobService: thin handlers, each codec → JobCommands → codec.
 * Wire-level checks (required messages, masks, page sizes) happen here; the
 * rules of a job and of its ids are checked once, in core (JobCommands).
 */

import type { ServiceImpl } from "@connectrpc/connect";
import type { Job as JobPb } from "../../gen/chronoring/v1/job_pb.js";
import type { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { ChronoringError, failedPrecondition, invalidArgument } from "../core/errors.js";
import type { FireLedger } from "../core/fire-ledger/index.js";
import type { FireStatsQueries } from "../core/fire-stats.js";
import type { JobCommands, JobUpdate } from "../core/job-commands.js";
import type { StateNote } from "../core/pause.js";
import { DEFAULT_PRIORITY } from "../core/priority.js";
import { applyRequestFromProto, applyResultToProto } from "./apply-codec.js";
import { callerOf, tenantOf } from "./caller-context.js";
import {
  executionToProto,
  jobInputFromProto,
  jobToProto,
  msFromTimestamp,
  pageTokenToProto,
  scheduleInputFromProto,
  targetFromProto,
} from "./codec.js";
import { notificationsFromProto } from "./codec-notify.js";
import { failurePolicyUpdate } from "./failure-policy-codec.js";
import { ledgerPageToProto, ledgerQueryFromProto } from "./fire-ledger-codec.js";
import { fireStatsToProto } from "./fire-stats-codec.js";
import {
  addCounts,
  checkBatchSize,
  createBatch,
  emptyCounts,
  IMPORT_REFUSED_MAX,
  importResultToProto,
  importStream,
} from "./job-import.js";
import { UPDATABLE_PATHS } from "./job-update-paths.js";
import { limitsFromProto } from "./limits-codec.js";
import { explainedToProto } from "./policy-codec.js";
import { priorityFromProto } from "./priority-codec.js";
import { executionQueryFromProto, jobQueryFromProto } from "./query-codec.js";
import { retryPolicyFromProto } from "./retry-codec.js";
import { maskPaths } from "./update-mask.js";

type UpdatablePath = (typeof UPDATABLE_PATHS)[number];

export const PREVIEW_COUNT_DEFAULT = 10;
export const PREVIEW_COUNT_MAX = 100;

/** Job fields as named inside UpdateJobRequest.job, to report them as `job.<field>`. */
const JOB_FIELD =
  /^(id|name|schedule|target|tags|owner|limits|retry_policy|priority|notifications|pause_after_failures|remaining_runs)([.[]|$)/;

/**
 * Runs `fn`, reporting an invalid field of the job as `job.<field>`: in
 * UpdateJobRequest the job's fields sit under `job`.
 */
async function underJob<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (
      err instanceof ChronoringError &&
      err.kind === "invalid_argument" &&
      err.field !== undefined &&
      JOB_FIELD.test(err.field)
    ) {
      const problem = err.message.startsWith(`${err.field}: `)
        ? err.message.slice(err.field.length + 2)
        : err.message;
      const field = `job.${err.field}`;
      throw new ChronoringError("invalid_argument", `${field}: ${problem}`, { field, cause: err });
    }
    throw err;
  }
}

function jobUpdateFromProto(job: JobPb, paths: readonly UpdatablePath[]): JobUpdate {
  const update: JobUpdate = {};
  for (const path of paths) {
    switch (path) {
      case "name":
        update.name = job.name;
        break;
      case "owner":
        update.owner = job.owner;
        break;
      case "tags":
        update.tags = [...job.tags];
        break;
      case "target":
        update.target = targetFromProto(job.target);
        break;
      case "schedule":
        update.schedule = scheduleInputFromProto(job.schedule);
        break;
      case "limits":
        // A mask naming limits without a message removes them.
        update.limits = job.limits ? limitsFromProto(job.limits) : null;
        break;
      case "retry_policy":
        update.retryPolicy = retryPolicyFromProto(job.retryPolicy) ?? null;
        break;
      case "priority":
        update.priority = priorityFromProto(job.priority) ?? DEFAULT_PRIORITY;
        break;
      case "notifications":
        update.notifications = notificationsFromProto(job.notifications);
        break;
      case "pause_after_failures":
      case "remaining_runs":
        Object.assign(update, failurePolicyUpdate(job, path));
        break;
    }
  }
  return update;
}

/** Who pauses or resumes, and the note (an empty one is none). */
function stateNote(by: string, note: string): StateNote {
  return note === "" ? { by } : { by, note };
}

function previewCount(count: number): number {
  if (count === 0) return PREVIEW_COUNT_DEFAULT;
  if (count > PREVIEW_COUNT_MAX) {
    throw invalidArgument("count", `must be 1 to ${PREVIEW_COUNT_MAX}, or 0 for 10`);
  }
  return count;
}

export function createJobService(
  commands: JobCommands,
  /** GetFireStats; absent in tests of the job API alone (then FailedPrecondition). */
  fireStats?: FireStatsQueries,
  /** ListFires; absent in tests of the job API alone (then FailedPrecondition). */
  ledger?: FireLedger,
): ServiceImpl<typeof JobService> {
  return {
    async createJob(req, ctx) {
      return { job: jobToProto(await commands.create(tenantOf(ctx), jobInputFromProto(req))) };
    },

    async batchCreateJobs(req, ctx) {
      checkBatchSize(req.jobs.length);
      const results = await createBatch(commands, tenantOf(ctx), req.jobs, 0);
      return {
        results: results.map(importResultToProto),
        counts: addCounts(emptyCounts(), results),
      };
    },

    async importJobs(stream, ctx) {
      const counts = emptyCounts();
      const refused: ReturnType<typeof importResultToProto>[] = [];
      let omitted = 0n;
      await importStream(commands, tenantOf(ctx), stream, (results) => {
        addCounts(counts, results);
        for (const r of results) {
          if (r.status !== "REFUSED") continue;
          if (refused.length < IMPORT_REFUSED_MAX) refused.push(importResultToProto(r));
          else omitted++;
        }
      });
      refused.sort((a, b) => (a.index < b.index ? -1 : 1));
      return { counts, refused, refusedOmitted: omitted };
    },

    async applyJobs(req, ctx) {
      return applyResultToProto(await commands.apply(tenantOf(ctx), applyRequestFromProto(req)));
    },

    async getJob(req, ctx) {
      return { job: jobToProto(await commands.get(tenantOf(ctx), req.id)) };
    },

    async listJobs(req, ctx) {
      const page = await commands.list(tenantOf(ctx), jobQueryFromProto(req));
      return { jobs: page.items.map(jobToProto), nextPageToken: pageTokenToProto(page.nextToken) };
    },

    async updateJob(req, ctx) {
      const job = req.job;
      if (job === undefined) throw invalidArgument("job", "required");
      const paths = maskPaths(req.updateMask?.paths, UPDATABLE_PATHS);
      if (req.expectedVersion < 0n) {
        throw invalidArgument("expected_version", "must not be negative");
      }
      const expected = req.expectedVersion === 0n ? undefined : Number(req.expectedVersion);
      const updated = await underJob(() =>
        commands.update(tenantOf(ctx), job.id, jobUpdateFromProto(job, paths), expected),
      );
      return { job: jobToProto(updated) };
    },

    async deleteJob(req, ctx) {
      return { job: jobToProto(await commands.cancel(tenantOf(ctx), req.id)) };
    },

    async pauseJob(req, ctx) {
      const who = stateNote(callerOf(ctx).subject, req.note);
      return { job: jobToProto(await commands.pause(tenantOf(ctx), req.id, who)) };
    },

    async resumeJob(req, ctx) {
      const who = stateNote(callerOf(ctx).subject, req.note);
      return { job: jobToProto(await commands.resume(tenantOf(ctx), req.id, who)) };
    },

    async triggerJob(req, ctx) {
      return { execution: executionToProto(await commands.trigger(tenantOf(ctx), req.id)) };
    },

    async listExecutions(req, ctx) {
      const page = await commands.listExecutions(tenantOf(ctx), executionQueryFromProto(req));
      return {
        executions: page.items.map(executionToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },

    async getExecution(req, ctx) {
      return { execution: executionToProto(await commands.getExecution(tenantOf(ctx), req.id)) };
    },

    async previewSchedule(req, ctx) {
      const schedule = scheduleInputFromProto(req.schedule);
      const count = previewCount(req.count);
      const afterMs = req.after === undefined ? undefined : msFromTimestamp(req.after, "after");
      const jobId = req.jobId === "" ? undefined : req.jobId;
      return explainedToProto(
        await commands.preview(tenantOf(ctx), schedule, afterMs, count, jobId),
      );
    },

    async listFires(req, ctx) {
      if (!ledger) throw failedPrecondition("this server keeps no fire ledger");
      return ledgerPageToProto(await ledger.list(tenantOf(ctx), ledgerQueryFromProto(req)));
    },

    async getFireStats(req, ctx) {
      if (!fireStats) throw failedPrecondition("this server keeps no fire stats");
      return fireStatsToProto(await fireStats.recent(tenantOf(ctx), req.minutes));
    },
  };
}
