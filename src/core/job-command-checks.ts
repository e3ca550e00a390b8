/**
 * JobCommands and the checks of their input. Every input is validated here,
 * once, with one message per rule, before it reaches the commands; the API
 * layer only converts the wire format (required messages, masks, page sizes)
 * and the commands assume what they are given is valid.
 */

import type { Execution } from "./execution.js";
import { validateApplyNamespace, validateExternalKey } from "./external-key.js";
import type { Job } from "./job.js";
import { type ApplyRequest, type ApplyResult, checkApplyRequest } from "./job-apply.js";
import type { BatchItem, ImportResult } from "./job-batch.js";
import {
  checkJobInput,
  checkJobUpdate,
  type InputChecks,
  type JobInput,
  type JobUpdate,
} from "./job-input.js";
import { type StateNote, validateNote } from "./pause.js";
import type { ExecutionQuery } from "./ports/execution-store.js";
import type { JobQuery, Page } from "./ports/job-store.js";
import type { Explained, ScheduleInput } from "./schedule/index.js";
import { validateExecutionId, validateJobId, validateTag } from "./validate-job.js";

/**
 * The operations behind JobService. Each validates its input (invalid_argument
 * naming the field; `withInputChecks` below, the one place that does), and throws not_found, failed_precondition, aborted or
 * unavailable as documented on the RPCs.
 *
 * Each acts in the caller's `tenant`: a job or execution of another tenant
 * is not_found with the same message as an unknown id, and lists hold only
 * the tenant's items.
 */
export interface JobCommands {
  create(tenant: string, input: JobInput): Promise<Job>;
  /**
   * Creates the items of one batch (at most BATCH_MAX), each checked and
   * judged as `create` would judge it: one result per item, by index
   * (`job-batch.ts`, which checks each item itself so that a bad one is
   * that item's result, not the batch's error).
   */
  createMany(tenant: string, items: BatchItem[]): Promise<ImportResult[]>;
  get(tenant: string, id: string): Promise<Job>;
  /** ApplyJobs (`job-apply.ts`): plans, and unless a dry run, carries the plan out. */
  apply(tenant: string, request: ApplyRequest): Promise<ApplyResult>;
  list(tenant: string, query: JobQuery): Promise<Page<Job>>;
  update(tenant: string, id: string, update: JobUpdate, expectedVersion?: number): Promise<Job>;
  /** Cancels: no run starts after it returns. */
  cancel(tenant: string, id: string): Promise<Job>;
  /** `who.note`: at most PAUSE_NOTE_MAX characters, shown in GetJob and the fire ledger. */
  pause(tenant: string, id: string, who: StateNote): Promise<Job>;
  resume(tenant: string, id: string, who: StateNote): Promise<Job>;
  /** Records a run at now and queues it; returns it as QUEUED. */
  trigger(tenant: string, id: string): Promise<Execution>;
  listExecutions(tenant: string, query: ExecutionQuery): Promise<Page<Execution>>;
  getExecution(tenant: string, id: string): Promise<Execution>;
  /** With `jobId` (a job of the tenant), that job's jitter is applied. */
  preview(
    tenant: string,
    schedule: ScheduleInput,
    afterMs: number | undefined,
    count: number,
    jobId?: string,
  ): Promise<Explained>;
}

/**
 * `commands` behind the checks of every input: a bad one is invalid_argument
 * naming its field (or failed_precondition for what this server cannot do)
 * before anything is read or written. The schedule is checked where it is
 * parsed (`parseSchedule`), as parsing it needs the time.
 */
export function withInputChecks(commands: JobCommands, checks: InputChecks): JobCommands {
  /** An operation on one job by its id. */
  const byId =
    <T>(op: (tenant: string, id: string) => Promise<T>) =>
    async (tenant: string, id: string): Promise<T> => {
      validateJobId(id);
      return op(tenant, id);
    };
  return {
    async create(tenant, input) {
      checkJobInput(input, checks);
      return commands.create(tenant, input);
    },
    createMany: (tenant, items) => commands.createMany(tenant, items),
    get: byId(commands.get),
    async apply(tenant, request) {
      checkApplyRequest(request, checks);
      return commands.apply(tenant, request);
    },
    async list(tenant, query) {
      if (query.tag !== undefined) validateTag(query.tag, "tag");
      if (query.externalKey !== undefined) validateExternalKey(query.externalKey);
      if (query.applyNamespace !== undefined)
        validateApplyNamespace(query.applyNamespace, "apply_namespace");
      return commands.list(tenant, query);
    },
    async update(tenant, id, update, expectedVersion) {
      validateJobId(id);
      checkJobUpdate(update, checks);
      return commands.update(tenant, id, update, expectedVersion);
    },
    cancel: byId(commands.cancel),
    async pause(tenant, id, who) {
      validateJobId(id);
      validateNote(who.note);
      return commands.pause(tenant, id, who);
    },
    async resume(tenant, id, who) {
      validateJobId(id);
      validateNote(who.note);
      return commands.resume(tenant, id, who);
    },
    trigger: byId(commands.trigger),
    async listExecutions(tenant, query) {
      if (query.jobId) validateJobId(query.jobId, "job_id");
      return commands.listExecutions(tenant, query);
    },
    async getExecution(tenant, id) {
      validateExecutionId(id);
      return commands.getExecution(tenant, id);
    },
    async preview(tenant, schedule, afterMs, count, jobId) {
      if (jobId !== undefined) validateJobId(jobId, "job_id");
      return commands.preview(tenant, schedule, afterMs, count, jobId);
    },
  };
}
