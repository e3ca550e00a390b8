import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  type Put,
  PutItemCommand,
  type Update,
} from "@aws-sdk/client-dynamodb";
import {
  type Execution,
  type ExecutionStatus,
  type ExecutionWait,
  executionId,
  isWaitReason,
  type RunRef,
} from "../../core/execution.js";
import { tenantOrDefault } from "../../core/tenant.js";
import { dynamo } from "./calls.js";
import { type Item, n, num, s, str } from "./job-item.js";
import { TENANT_ATTR, tenantItem } from "./tenant.js";

/*
 * Execution item layout in the executions table (key job_id + run, one item
 * per attempt) and the writes every store of attempts shares: tenant (absent
 * on items written before tenancy, which are `default`'s), part, sched_ms,
 * attempt, manual, st, worker, queued, started, ended, result or error,
 * next_at, checkpoint, sid (the start's mark, execution-store.ts); the keys of the sparse worker, requeued and dead indexes.
 */

/** Sort key of an attempt: zero-padded so that runs sort by scheduled time, then attempt. */
export function runKey(scheduledMs: number, attempt: number): string {
  return `${String(scheduledMs).padStart(15, "0")}#${String(attempt).padStart(4, "0")}`;
}

/** The key of the execution item of one attempt of a run. */
export function runItemKey(run: { jobId: string; scheduledMs: number; attempt: number }): Item {
  return { job_id: s(run.jobId), run: s(runKey(run.scheduledMs, run.attempt)) };
}

/**
 * An update of an attempt's record that applies only while `workerId` holds
 * it (RUNNING on that worker): a lost worker's late write must not overwrite
 * what was carried on. `set` is the SET clause; `#st` and `#w` are defined.
 */
export function heldUpdate(
  table: string,
  run: { jobId: string; scheduledMs: number; attempt: number },
  workerId: string,
  set: string,
  values: Item,
  names: Record<string, string> = {},
): Update {
  return {
    TableName: table,
    Key: runItemKey(run),
    UpdateExpression: `SET ${set}`,
    ConditionExpression: "#st = :running AND #w = :w",
    ExpressionAttributeNames: { "#st": "st", "#w": "worker", ...names },
    ExpressionAttributeValues: { ":running": s("RUNNING"), ":w": s(workerId), ...values },
  };
}

export function itemToExecution(item: Item): Execution {
  const jobId = str(item, "job_id")!;
  const scheduledMs = num(item, "sched_ms")!;
  const attempt = num(item, "attempt")!;
  const exec: Execution = {
    id: executionId({ jobId, scheduledMs, attempt }),
    tenant: tenantOrDefault(str(item, TENANT_ATTR)),
    jobId,
    partition: num(item, "part") ?? 0,
    scheduledMs,
    attempt,
    manual: item.manual?.BOOL ?? false,
    status: str(item, "st") as ExecutionStatus,
  };
  const planned = num(item, "plan_ms");
  if (planned !== undefined) exec.plannedMs = planned;
  const worker = str(item, "worker");
  if (worker) exec.workerId = worker;
  const queued = num(item, "queued");
  if (queued !== undefined) exec.queuedMs = queued;
  const started = num(item, "started");
  if (started !== undefined) exec.startedMs = started;
  const ended = num(item, "ended");
  if (ended !== undefined) exec.endedMs = ended;
  const result = str(item, "result");
  if (result !== undefined) exec.result = result;
  const error = str(item, "error");
  if (error !== undefined) exec.error = error;
  const nextAt = num(item, "next_at");
  if (nextAt !== undefined) exec.nextAttemptMs = nextAt;
  const checkpoint = item.checkpoint?.B;
  if (checkpoint !== undefined) exec.checkpoint = checkpoint;
  const wait = itemToWait(item.wait);
  if (wait) exec.wait = wait;
  return exec;
}

/** `wait`: a map of the reason (r), ms waited (ms) and re-sends (n), written by the start. */
function waitItem(wait: ExecutionWait): AttributeValue {
  return { M: { r: s(wait.reason), ms: n(wait.waitedMs), n: n(wait.resends) } };
}

function itemToWait(value: AttributeValue | undefined): ExecutionWait | undefined {
  const m = value?.M;
  const reason = m?.r?.S;
  if (!m || !isWaitReason(reason)) return undefined;
  return { reason, waitedMs: Number(m.ms?.N ?? 0), resends: Number(m.n?.N ?? 0) };
}

export function baseItem(run: RunRef, status: ExecutionStatus): Item {
  return {
    ...runItemKey(run),
    ...tenantItem(run.tenant),
    part: n(run.partition),
    sched_ms: n(run.scheduledMs),
    attempt: n(run.attempt),
    manual: { BOOL: run.manual },
    st: s(status),
    // The planned start in a flexible window: the fire ledger measures lateness from it.
    ...(run.plannedMs !== undefined ? { plan_ms: n(run.plannedMs) } : {}),
  };
}

/**
 * The Put that starts an attempt: RUNNING on `workerId`, only if no record of
 * it exists or it is QUEUED (a re-queued or waiting attempt is recorded
 * before it is sent), so a redelivery cannot start it twice.
 */
export function runningPut(
  table: string,
  run: RunRef,
  workerId: string,
  nowMs: number,
  queuedMs: number | undefined,
  checkpoint: AttributeValue | undefined,
  wait?: ExecutionWait,
): Put {
  return {
    TableName: table,
    Item: {
      ...baseItem(run, "RUNNING"),
      worker: s(workerId),
      started: n(nowMs),
      ...(queuedMs ? { queued: n(queuedMs) } : {}),
      ...(checkpoint ? { checkpoint } : {}),
      ...(wait ? { wait: waitItem(wait) } : {}),
    },
    ConditionExpression: "attribute_not_exists(job_id) OR #st = :queued",
    ExpressionAttributeNames: { "#st": "st" },
    ExpressionAttributeValues: { ":queued": s("QUEUED") },
  };
}

/**
 * Records a run that will not start (CANCELLED, SKIPPED) with its reason,
 * unless a record of it exists past QUEUED: false then (it started, or
 * already ended). A QUEUED attempt (a retry, a re-queue, a run waiting for
 * its job's limits) is ended too, or the recovery sweep would send it again
 * and again.
 */
export async function endUnstarted(
  client: DynamoDBClient,
  table: string,
  run: RunRef,
  status: "CANCELLED" | "SKIPPED",
  reason: string,
  nowMs: number,
): Promise<boolean> {
  try {
    await dynamo(() =>
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...baseItem(run, status), ended: n(nowMs), error: s(reason) },
          ConditionExpression: "attribute_not_exists(job_id) OR #st = :queued",
          ExpressionAttributeNames: { "#st": "st" },
          ExpressionAttributeValues: { ":queued": s("QUEUED") },
        }),
      ),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}
