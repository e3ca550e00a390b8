import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  type TransactWriteItem,
  type Update,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { MOVED_RUN_RECHECK_MS } from "../../core/claim-rules.js";
import { aborted, failedPrecondition, notFound } from "../../core/errors.js";
import type { Job } from "../../core/job.js";
import type { JobChange, JobExpectation } from "../../core/ports/job-store.js";
import { counterAction, exhausted, jobSlotClauses, transactSlots } from "./active-slots.js";
import { dynamo } from "./calls.js";
import type { TableNames } from "./client.js";
import { keyRelease } from "./external-key.js";
import { HIGH_PART_ATTR } from "./high-index.js";
import { type Item, itemToJob, n, num, s, statusIn, str } from "./job-item.js";
import { tenantClause, visible } from "./tenant.js";

/**
 * UpdateJob, PauseJob, ResumeJob and DeleteJob in DynamoDB: one conditional
 * UpdateItem that bumps the version; when the change takes or gives back an
 * active-schedule slot, a transaction of that update and the tenant's
 * counter (`active-slots.ts`).
 */
export async function updateJob(
  client: DynamoDBClient,
  tables: TableNames,
  request: { tenant: string; id: string; change: JobChange; expect: JobExpectation; nowMs: number },
): Promise<Job> {
  const { tenant, id, change, expect } = request;
  const update = jobUpdate(tables.jobs, request);
  const slot = change.slot;
  const counts = slot?.kind === "take" || slot?.kind === "free";
  if (counts || change.releaseKey !== undefined) {
    const actions: TransactWriteItem[] = [
      // The job as it was tells why a refusal happened.
      { Update: { ...update, ReturnValuesOnConditionCheckFailure: "ALL_OLD" } },
    ];
    if (slot && counts) actions.push(counterAction(tables.tenants, tenant, slot));
    // A cancel gives the job's external key back in the same write.
    if (change.releaseKey !== undefined) {
      actions.push(keyRelease(tables.jobs, tenant, change.releaseKey, id));
    }
    const reasons = await transactSlots(client, actions);
    if (reasons === undefined) {
      // A transaction returns nothing: read back what it wrote.
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({ TableName: tables.jobs, Key: { id: s(id) }, ConsistentRead: true }),
        ),
      );
      return itemToJob(out.Item!);
    }
    const [job, counter] = reasons;
    if (job?.code === "ConditionalCheckFailed") throw refusal(id, tenant, expect, job.item);
    if (slot && counts && counter?.code === "ConditionalCheckFailed") {
      throw exhausted(tenant, counter.item, slot.kind === "take" ? slot.defaultLimit : 0);
    }
    // The key's record names another job (restored or hand-edited data).
    throw failedPrecondition(`job ${id}: its external key is held by another job`);
  }
  try {
    const out = await dynamo(() =>
      client.send(
        new UpdateItemCommand({
          ...update,
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );
    return itemToJob(out.Attributes!);
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
    throw refusal(id, tenant, expect, err.Item);
  }
}

/** The conditional update of the job item (bumps the version). */
function jobUpdate(
  table: string,
  request: { tenant: string; id: string; change: JobChange; expect: JobExpectation; nowMs: number },
): Update {
  const { tenant, id, change, expect } = request;
  const names: Record<string, string> = { "#v": "v" };
  const values: Item = { ":one": n(1), ":now": n(request.nowMs) };
  const set = ["#v = #v + :one", "updated = :now"];
  const remove: string[] = [];
  const put = (attr: string, value: Item[string]) => {
    names[`#${attr}`] = attr;
    values[`:${attr}`] = value;
    set.push(`#${attr} = :${attr}`);
  };
  if (change.name !== undefined) put("name", s(change.name));
  if (change.owner !== undefined) put("owner", s(change.owner));
  if (change.tags !== undefined) put("tags", { L: change.tags.map(s) });
  if (change.schedule !== undefined) put("sched", s(JSON.stringify(change.schedule)));
  if (change.target !== undefined) put("tgt", s(JSON.stringify(change.target)));
  if (change.notifications?.length) put("ntf", s(JSON.stringify(change.notifications)));
  else if (change.notifications !== undefined) remove.push("ntf");
  if (change.status !== undefined) put("st", s(change.status));
  if (change.limits === null) remove.push("lim");
  else if (change.limits !== undefined) put("lim", s(JSON.stringify(change.limits)));
  if (change.priority === "MEDIUM") {
    names["#prio"] = "prio";
    remove.push("#prio");
  } else if (change.priority !== undefined) put("prio", s(change.priority));
  // Only HIGH jobs are in the HIGH index (high-index.ts): the partition is copied in or removed.
  if (change.priority !== undefined) {
    names["#hp"] = HIGH_PART_ATTR;
    if (change.priority === "HIGH") set.push("#hp = part");
    else remove.push("#hp");
  }
  if (change.nextRunMs === null) remove.push("next_run");
  else if (change.nextRunMs !== undefined) {
    put("next_run", n(change.nextRunMs));
    put("recover_at", n(request.nowMs + MOVED_RUN_RECHECK_MS));
  }
  if (change.pauses !== undefined) put("pauses", s(JSON.stringify(change.pauses)));
  if (change.retryPolicy === null) remove.push("retry");
  else if (change.retryPolicy) put("retry", s(JSON.stringify(change.retryPolicy)));
  if (change.pauseAfterFailures === 0) remove.push("paf");
  else if (change.pauseAfterFailures !== undefined) put("paf", n(change.pauseAfterFailures));
  // Runs left and granted go together: a claim's compare-and-set on `rem`
  // loses to this write, and claims again from the new count.
  if (change.remainingRuns === null) remove.push("rem", "rgr");
  else if (change.remainingRuns !== undefined) {
    put("rem", n(change.remainingRuns));
    put("rgr", n(change.remainingRuns));
  }
  // The failing mark stays: the next success is still a recovery.
  if (change.clearFailures) remove.push("cf");

  const conditions = ["attribute_exists(id)", tenantClause(tenant, names, values)];
  if (change.slot) {
    const clauses = jobSlotClauses(tenant, change.slot, values);
    set.push(...clauses.set);
    remove.push(...clauses.remove);
    conditions.push(clauses.condition);
  }
  if (expect.version !== undefined) {
    conditions.push("#v = :ev");
    values[":ev"] = n(expect.version);
  }
  if (expect.statusIn?.length) {
    names["#cst"] = "st";
    conditions.push(statusIn("#cst", expect.statusIn, values, "cst"));
  }
  return {
    TableName: table,
    Key: { id: s(id) },
    UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
    ConditionExpression: conditions.join(" AND "),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Why the job refused the change, from its item as it was. */
function refusal(id: string, tenant: string, expect: JobExpectation, old: Item | undefined) {
  // Another tenant's job answers as an unknown one.
  if (!visible(old, tenant)) return notFound(`job ${id}`);
  if (expect.version !== undefined && num(old, "v") !== expect.version) {
    return aborted(`job ${id} is at version ${num(old, "v")}, not ${expect.version}`);
  }
  if (expect.statusIn?.length && !expect.statusIn.includes(str(old, "st") as Job["status"])) {
    return failedPrecondition(`job ${id} is ${str(old, "st")}`);
  }
  // Its slot changed since it was read (a concurrent change or a release):
  // the caller reads the job again and decides again.
  return aborted(`job ${id} changed while it was updated`);
}
