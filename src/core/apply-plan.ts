/**
 * The plan of a declarative apply (ApplyJobs), pure: given the jobs a
 * request wants (by external key) and the namespace's live jobs, what to
 * create, update (with each changed field), delete (with prune) and leave.
 * Jobs are compared as the API shows them after defaults are filled, so that
 * applying a file twice plans nothing the second time (`remaining_runs` as
 * granted, not as left: a second apply grants no runs again).
 */

import type { Job, JobTarget, Schedule } from "./job.js";
import type { JobInput, JobUpdate } from "./job-input.js";
import { normalizeLimits } from "./limits.js";
import { DEFAULT_PRIORITY } from "./priority.js";

export type ApplyAction = "CREATE" | "UPDATE" | "DELETE" | "UNCHANGED";

/** One changed field: its dotted snake_case path and both values as JSON text (absent: none). */
export interface FieldChange {
  path: string;
  old?: string;
  new?: string;
}

export interface PlanEntry {
  key: string;
  action: ApplyAction;
  /** The job as read (absent for a create). */
  current?: Job;
  /** The wanted job (absent for a delete). */
  input?: JobInput;
  /** UPDATE only. */
  changes: FieldChange[];
}

export interface ApplyPlan {
  entries: PlanEntry[];
  counts: Record<ApplyAction, number>;
}

/** A wanted job: its input (with `externalKey`) and its schedule as parsed now. */
export interface DesiredJob {
  input: JobInput & { externalKey: string };
  schedule: Schedule;
}

/** The fields an apply manages, as comparable values. */
interface JobView {
  name: string;
  schedule: Schedule;
  target: JobTarget;
  tags: string[];
  owner: string;
  limits: unknown;
  retryPolicy: unknown;
  priority: string;
  notifications: unknown[];
  pauseAfterFailures: number;
  /** As granted: the runs left change with every claim, what a file asks for does not. */
  remainingRuns: number | undefined;
}

/**
 * An interval without a start is anchored at the time it was parsed: that
 * anchor is not part of what the user wrote, so it is left out of the comparison.
 */
function comparableSchedule(schedule: Schedule): Schedule {
  if (schedule.kind !== "interval" || schedule.startMs !== undefined) return schedule;
  const { anchorMs: _anchor, ...rest } = schedule;
  return rest as Schedule;
}

function viewOfJob(job: Job): JobView {
  return {
    name: job.name,
    schedule: comparableSchedule(job.schedule),
    target: job.target,
    tags: job.tags,
    owner: job.owner,
    limits: job.limits,
    retryPolicy: job.retryPolicy,
    priority: job.priority ?? DEFAULT_PRIORITY,
    notifications: job.notifications ?? [],
    pauseAfterFailures: job.pauseAfterFailures ?? 0,
    remainingRuns: job.grantedRuns,
  };
}

function viewOfDesired(desired: DesiredJob): JobView {
  const { input } = desired;
  return {
    name: input.name.trim(),
    schedule: comparableSchedule(desired.schedule),
    target: input.target,
    tags: input.tags,
    owner: input.owner,
    limits: normalizeLimits(input.limits),
    retryPolicy: input.retryPolicy,
    priority: input.priority ?? DEFAULT_PRIORITY,
    notifications: input.notifications ?? [],
    pauseAfterFailures: input.pauseAfterFailures ?? 0,
    remainingRuns: input.remainingRuns,
  };
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Leaf values by dotted path; arrays are leaves (a list changes as a whole). */
function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value === undefined) return;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flatten(v, path === "" ? snake(k) : `${path}.${snake(k)}`, out);
    }
    return;
  }
  out.set(path, JSON.stringify(value));
}

/** Write-only values (a webhook's signing secret) never leave the server. */
const SECRET = /(^|\.)secret$/;

/** Each field that differs between `before` and `after`, in the order of the view. */
export function diffFields(before: unknown, after: unknown): FieldChange[] {
  const old = new Map<string, string>();
  const next = new Map<string, string>();
  flatten(before, "", old);
  flatten(after, "", next);
  const paths = [...new Set([...old.keys(), ...next.keys()])];
  const changes: FieldChange[] = [];
  for (const path of paths) {
    const a = old.get(path);
    const b = next.get(path);
    if (a === b) continue;
    const shown = (v: string | undefined) =>
      v !== undefined && SECRET.test(path) ? '"(secret)"' : v;
    const a2 = shown(a);
    const b2 = shown(b);
    changes.push({
      path,
      ...(a2 !== undefined ? { old: a2 } : {}),
      ...(b2 !== undefined ? { new: b2 } : {}),
    });
  }
  return changes;
}

/**
 * The plan: one entry per wanted job in its order (CREATE when no live job of
 * the namespace has its key, else UPDATE or UNCHANGED), then, with `prune`,
 * a DELETE for each live job of the namespace whose key was not asked for
 * (by key). `current` holds the namespace's jobs that are not CANCELLED.
 */
export function planApply(desired: DesiredJob[], current: Job[], prune: boolean): ApplyPlan {
  const byKey = new Map<string, Job>();
  for (const job of current) if (job.externalKey !== undefined) byKey.set(job.externalKey, job);
  const entries: PlanEntry[] = desired.map((d) => {
    const key = d.input.externalKey;
    const job = byKey.get(key);
    if (!job) return { key, action: "CREATE", input: d.input, changes: [] };
    const changes = diffFields(viewOfJob(job), viewOfDesired(d));
    return {
      key,
      action: changes.length ? "UPDATE" : "UNCHANGED",
      current: job,
      input: d.input,
      changes,
    };
  });
  if (prune) {
    const wanted = new Set(desired.map((d) => d.input.externalKey));
    const gone = [...byKey.entries()]
      .filter(([key]) => !wanted.has(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, job] of gone)
      entries.push({ key, action: "DELETE", current: job, changes: [] });
  }
  const counts = { CREATE: 0, UPDATE: 0, DELETE: 0, UNCHANGED: 0 };
  for (const e of entries) counts[e.action]++;
  return { entries, counts };
}

/** The top-level fields an update entry changes, as UpdateJob takes them. */
export function updateOf(entry: PlanEntry): JobUpdate {
  const input = entry.input;
  if (!input) return {};
  const fields = new Set(entry.changes.map((c) => c.path.split(".")[0]));
  const update: JobUpdate = {};
  if (fields.has("name")) update.name = input.name;
  if (fields.has("schedule")) update.schedule = input.schedule;
  if (fields.has("target")) update.target = input.target;
  if (fields.has("tags")) update.tags = input.tags;
  if (fields.has("owner")) update.owner = input.owner;
  if (fields.has("limits")) update.limits = input.limits ?? null;
  if (fields.has("retry_policy")) update.retryPolicy = input.retryPolicy ?? null;
  if (fields.has("priority")) update.priority = input.priority ?? DEFAULT_PRIORITY;
  if (fields.has("notifications")) update.notifications = input.notifications ?? [];
  if (fields.has("pause_after_failures")) update.pauseAfterFailures = input.pauseAfterFailures ?? 0;
  // A changed number grants that many runs afresh; none removes the limit.
  if (fields.has("remaining_runs")) update.remainingRuns = input.remainingRuns ?? null;
  return update;
}
