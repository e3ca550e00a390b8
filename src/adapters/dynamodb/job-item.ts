import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { invalidArgument } from "../../core/errors.js";
import type { Job, JobLimits, JobStatus, JobTarget, Schedule } from "../../core/job.js";
import type { NotificationTarget } from "../../core/notification.js";
import type { PauseRecord } from "../../core/pause.js";
import type { Page } from "../../core/ports/job-store.js";
import { isPriority } from "../../core/priority.js";
import type { RetryPolicy } from "../../core/retry-policy.js";
import { tenantOrDefault } from "../../core/tenant.js";

/**
 * Job item layout in the jobs table (key `id`):
 * part (N), next_run (N, sparse: in the `due` index only while a run is ahead),
 * st, v (version), name, owner, tags (L of S), sched and tgt (JSON), created,
 * updated, last_run, retry (JSON, absent: no retry); the claim record: claimed / claimed_m (NS of scheduled ms
 * of claimed and triggered runs not yet seen started), recover_at (N, sparse:
 * when the sweep must check them), cseq (N, bumped by every claim and trigger);
 * missed (N, runs dropped by the misfire policy; absent: none);
 * lim (JSON, the run limits; in the `due` index so that they ride with a
 * claimed run) and the limit counters (see `run-limits.ts`);
 * prio (HIGH or LOW; absent for MEDIUM, so a default job stores nothing more);
 * ntf (JSON notification targets, only when there are some; projected into
 * the due index so that a claim knows to notify), idem (the idempotency key);
 * xkey (the external key; its record is `external-key.ts`'s), ans (the
 * ApplyJobs namespace);
 * wf and deps (L of S) on a workflow's node jobs; tenant (absent on jobs
 * written before tenancy, which are `default`'s; projected into the due index);
 * qc and qend while the job holds an active-schedule slot (`quota-index.ts`);
 * pauses (JSON, the pause history of `core/pause.ts`; absent: never paused since it was kept);
 * paf (N, pause_after_failures; absent: off), cf (N, failed runs in a row,
 * written by workers only when it changes; absent: 0) and cfl (S, the
 * execution counted last, so that each is counted once; set while the job
 * is failing, from a failure to the next success), rem (N, scheduled
 * runs left, spent by claims; projected into the due index; absent: no
 * limit) and rgr (N, the remaining_runs last granted through the API).
 */
export type Item = Record<string, AttributeValue>;

export const n = (value: number): AttributeValue => ({ N: String(value) });
export const s = (value: string): AttributeValue => ({ S: value });

export function num(item: Item, key: string): number | undefined {
  const v = item[key]?.N;
  return v === undefined ? undefined : Number(v);
}

export function str(item: Item, key: string): string | undefined {
  return item[key]?.S;
}

/**
 * `<name> IN (:<prefix>0, ...)`: a list of job states from core's rules
 * (`claim-rules.ts`) as a condition on the item, its values added to `values`.
 */
export function statusIn(
  name: string,
  statuses: readonly JobStatus[],
  values: Item,
  prefix: string,
): string {
  const keys = statuses.map((status, i) => {
    values[`:${prefix}${i}`] = s(status);
    return `:${prefix}${i}`;
  });
  return `${name} IN (${keys.join(", ")})`;
}

export function numSet(item: Item, key: string): number[] {
  return (item[key]?.NS ?? []).map(Number).sort((a, b) => a - b);
}

export function jobToItem(job: Job): Item {
  const item: Item = {
    id: s(job.id),
    tenant: s(job.tenant),
    part: n(job.partition),
    st: s(job.status),
    v: n(job.version),
    name: s(job.name),
    owner: s(job.owner),
    tags: { L: job.tags.map(s) },
    sched: s(JSON.stringify(job.schedule)),
    tgt: s(JSON.stringify(job.target)),
    created: n(job.createdMs),
    updated: n(job.updatedMs),
    cseq: n(0),
  };
  if (job.nextRunMs !== undefined) item.next_run = n(job.nextRunMs);
  if (job.lastRunMs !== undefined) item.last_run = n(job.lastRunMs);
  if (job.limits) item.lim = s(JSON.stringify(job.limits));
  if (job.retryPolicy) item.retry = s(JSON.stringify(job.retryPolicy));
  if (job.priority && job.priority !== "MEDIUM") item.prio = s(job.priority);
  if (job.notifications?.length) item.ntf = s(JSON.stringify(job.notifications));
  if (job.idempotencyKey !== undefined) item.idem = s(job.idempotencyKey);
  if (job.externalKey !== undefined) item.xkey = s(job.externalKey);
  if (job.applyNamespace !== undefined) item.ans = s(job.applyNamespace);
  if (job.workflowId) item.wf = s(job.workflowId);
  if (job.dependsOn?.length) item.deps = { L: job.dependsOn.map(s) };
  if (job.pauses?.length) item.pauses = s(JSON.stringify(job.pauses));
  if (job.pauseAfterFailures) item.paf = n(job.pauseAfterFailures);
  if (job.consecutiveFailures) item.cf = n(job.consecutiveFailures);
  if (job.remainingRuns !== undefined) item.rem = n(job.remainingRuns);
  if (job.grantedRuns !== undefined) item.rgr = n(job.grantedRuns);
  return item;
}

export function itemToJob(item: Item): Job {
  const job: Job = {
    id: str(item, "id")!,
    tenant: tenantOrDefault(str(item, "tenant")),
    partition: num(item, "part")!,
    status: str(item, "st") as JobStatus,
    version: num(item, "v")!,
    name: str(item, "name") ?? "",
    owner: str(item, "owner") ?? "",
    tags: (item.tags?.L ?? []).map((t) => t.S ?? ""),
    schedule: JSON.parse(str(item, "sched")!) as Schedule,
    target: JSON.parse(str(item, "tgt")!) as JobTarget,
    createdMs: num(item, "created")!,
    updatedMs: num(item, "updated")!,
  };
  const next = num(item, "next_run");
  if (next !== undefined) job.nextRunMs = next;
  const last = num(item, "last_run");
  if (last !== undefined) job.lastRunMs = last;
  const lim = str(item, "lim");
  if (lim) job.limits = JSON.parse(lim) as JobLimits;
  const retry = str(item, "retry");
  if (retry !== undefined) job.retryPolicy = JSON.parse(retry) as RetryPolicy;
  const prio = str(item, "prio");
  if (isPriority(prio)) job.priority = prio;
  const missed = num(item, "missed");
  if (missed !== undefined) job.missedRuns = missed;
  const ntf = str(item, "ntf");
  if (ntf) job.notifications = JSON.parse(ntf) as NotificationTarget[];
  const idem = str(item, "idem");
  if (idem !== undefined) job.idempotencyKey = idem;
  const xkey = str(item, "xkey");
  if (xkey !== undefined) job.externalKey = xkey;
  const ans = str(item, "ans");
  if (ans !== undefined) job.applyNamespace = ans;
  if (item.qc) job.holdsSlot = true;
  const pauses = str(item, "pauses");
  if (pauses) job.pauses = JSON.parse(pauses) as PauseRecord[];
  const paf = num(item, "paf");
  if (paf) job.pauseAfterFailures = paf;
  const cf = num(item, "cf");
  if (cf) job.consecutiveFailures = cf;
  const rem = num(item, "rem");
  if (rem !== undefined) job.remainingRuns = rem;
  const rgr = num(item, "rgr");
  if (rgr !== undefined) job.grantedRuns = rgr;
  const wf = str(item, "wf");
  if (wf) {
    job.workflowId = wf;
    job.dependsOn = (item.deps?.L ?? []).map((d) => d.S ?? "");
  }
  return job;
}

/**
 * A page of `items`; its token is the store's last evaluated key, base64url
 * JSON, absent on the last page.
 */
export function toPage<T>(items: T[], lastKey: Item | undefined): Page<T> {
  return lastKey
    ? { items, nextToken: Buffer.from(JSON.stringify(lastKey)).toString("base64url") }
    : { items };
}

export function decodeToken(token: string | undefined): Item | undefined {
  if (!token) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Item;
  } catch {
    // reported below
  }
  throw invalidArgument("page_token", "not a token returned by this API");
}
