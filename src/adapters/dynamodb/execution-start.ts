import { randomUUID } from "node:crypto";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { canStart, INACTIVE_JOB_REASON } from "../../core/claim-rules.js";
import type { RunRef } from "../../core/execution.js";
import type { JobStatus } from "../../core/job.js";
import {
  StartInDoubt,
  type StartOptions,
  type StartOutcome,
} from "../../core/ports/execution-store.js";
import { conditionally, dynamo, readJobState } from "./calls.js";
import { heldUpdate, runItemKey, runningPut } from "./execution-item.js";
import { type Item, n, s } from "./job-item.js";

/** Where a start writes: the executions table, and the jobs table it may read. */
export interface StartTables {
  client: DynamoDBClient;
  /** The executions table. */
  table: string;
  /** The jobs table. */
  jobs: string;
}

/** The item of one attempt, strongly consistent; undefined when there is none. */
export async function readExecutionItem(
  client: DynamoDBClient,
  table: string,
  run: Pick<RunRef, "jobId" | "scheduledMs" | "attempt">,
): Promise<Item | undefined> {
  const out = await dynamo(() =>
    client.send(
      new GetItemCommand({ TableName: table, Key: runItemKey(run), ConsistentRead: true }),
    ),
  );
  return out.Item;
}

/**
 * `ExecutionStore.startExecution` in DynamoDB: 1 write unit, and 1 read unit
 * unless the run is in its job's claim record (a refused Put reads the
 * attempt's record too). The Put is the at-most-once guard. A run in its
 * job's claim record (`claimed`, the hot path: every run a claim or
 * TriggerJob sent) is refused by the Put alone once a stop of its job wrote
 * its CANCELLED record (`core/job-states.ts`): nothing else is read. Any
 * other run (a retry, a re-queued attempt, a workflow node's run: one that
 * replaces a QUEUED record) reads the job's status after the Put, strongly
 * consistent, so a pause, cancel or delete committed before the Put is seen
 * and wins: the attempt is then ended CANCELLED (`job_inactive`) and its
 * handler never runs. One committed between the Put and the read wins too;
 * one after the read comes after the start. The read also tells whether the
 * job is failing (`inherited.failing`, for the failure policy).
 */
export async function startExecution(
  tables: StartTables,
  run: RunRef,
  workerId: string,
  nowMs: number,
  options: StartOptions = {},
): Promise<StartOutcome> {
  const { client, table } = tables;
  const { queuedMs, inherited, wait } = options;
  // A re-queued attempt carries its predecessor's checkpoint into the start.
  const checkpoint =
    run.attempt > 1 ? (await readExecutionItem(client, table, run))?.checkpoint : undefined;
  if (inherited && checkpoint?.B) inherited.checkpoint = checkpoint.B;
  const put = runningPut(table, run, workerId, nowMs, queuedMs, checkpoint, wait);
  // This call's own mark: the SDK's retry of a Put whose first attempt
  // was written but answered too late (a stalled store) is refused, and
  // the mark tells that refusal from a duplicate delivery's.
  const sid = s(randomUUID());
  let replaced: Item | undefined;
  const written = await conditionally(async () => {
    const Item = { ...put.Item, sid };
    const out = await client.send(new PutItemCommand({ ...put, Item, ReturnValues: "ALL_OLD" }));
    replaced = out.Attributes;
  });
  if (!written && (await readExecutionItem(client, table, run))?.sid?.S !== sid.S) {
    return "duplicate";
  }
  // A first record of a run in its job's claims: a stop would have refused it.
  if (options.claimed && replaced === undefined) return "started";
  let job: { status: JobStatus; failing: boolean } | undefined;
  try {
    job = await readJobState(client, tables.jobs, run.jobId);
  } catch (err) {
    // Taken back, the run is as if never started: its redelivery tries again.
    if (await undoStart(tables, run, workerId, nowMs, replaced)) throw err;
    throw new StartInDoubt(err);
  }
  if (job !== undefined && canStart(job.status, run)) {
    if (inherited) inherited.failing = job.failing;
    return "started";
  }
  const cancelled = { ":c": s("CANCELLED"), ":now": n(nowMs), ":why": s(INACTIVE_JOB_REASON) };
  const set = "#st = :c, ended = :now, #error = :why";
  const update = heldUpdate(table, run, workerId, set, cancelled, { "#error": "error" });
  await conditionally(() => client.send(new UpdateItemCommand(update)));
  return "job_inactive";
}

/**
 * Takes back a start whose job could not be read: the record it replaced
 * (a QUEUED attempt, with its recheck time) is put back, or the new one
 * goes, so the message's next delivery starts the run afresh. Best
 * effort: the read's error is what the caller gets.
 */
async function undoStart(
  tables: StartTables,
  run: RunRef,
  workerId: string,
  nowMs: number,
  replaced: Item | undefined,
): Promise<boolean> {
  const { client, table } = tables;
  const ours = {
    ConditionExpression: "#st = :running AND #w = :w AND started = :now",
    ExpressionAttributeNames: { "#st": "st", "#w": "worker" },
    ExpressionAttributeValues: { ":running": s("RUNNING"), ":w": s(workerId), ":now": n(nowMs) },
  };
  try {
    await (replaced
      ? client.send(new PutItemCommand({ TableName: table, Item: replaced, ...ours }))
      : client.send(new DeleteItemCommand({ TableName: table, Key: runItemKey(run), ...ours })));
    return true;
  } catch (err) {
    // Refused: the record is no longer this start's (nothing to take back).
    return err instanceof ConditionalCheckFailedException;
  }
}
