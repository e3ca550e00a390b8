import type { TransactWriteItem } from "@aws-sdk/client-dynamodb";
import { CLAIMABLE_STATUSES, statusAfterClaim } from "../../core/claim-rules.js";
import type { Claim, Fence } from "../../core/ports/job-store.js";
import { type Item, n, s, statusIn } from "./job-item.js";

/*
 * The item writes of a claim, as transaction actions: the compare-and-set on
 * the job's next run, and the fence check on the partition's owner.
 */

/** The claim of one run as one conditional item write (see `Claim`). */
export function claimAction(table: string, claim: Claim): TransactWriteItem {
  const { job } = claim;
  const names: Record<string, string> = { "#st": "st" };
  const runs = claim.runs ?? [job.nextRunMs];
  const values: Item = {
    ":due": n(job.nextRunMs),
    ":one": n(1),
  };
  const set: string[] = [];
  const add = ["cseq :one"];
  if (runs.length > 0) {
    values[":t"] = { NS: runs.map(String) };
    values[":last"] = n(Math.max(...runs));
    values[":ra"] = n(claim.recoverAtMs);
    set.push("last_run = :last", "recover_at = :ra");
    add.unshift("claimed :t");
  }
  if (claim.missed) {
    values[":missed"] = n(claim.missed);
    add.push("missed :missed");
  }
  const remove: string[] = [];
  if (claim.nextRunMs === undefined) {
    remove.push("next_run");
    set.push("#st = :after");
    values[":after"] = s(statusAfterClaim(claim.nextRunMs));
  } else {
    set.push("next_run = :next");
    values[":next"] = n(claim.nextRunMs);
  }
  let condition = `next_run = :due AND ${statusIn("#st", CLAIMABLE_STATUSES, values, "cl")}`;
  // The recovery deadline was read with the due index; the claim keeps an
  // earlier pending deadline and must not race the sweep that moves it.
  if (job.recoverAtMs === undefined) {
    condition += " AND attribute_not_exists(recover_at)";
  } else {
    condition += " AND recover_at = :seen";
    values[":seen"] = n(job.recoverAtMs);
  }
  return {
    Update: {
      TableName: table,
      Key: { id: s(job.id) },
      UpdateExpression: `SET ${set.join(", ")} ADD ${add.join(", ")}${
        remove.length ? ` REMOVE ${remove.join(", ")}` : ""
      }`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** The fence as a condition check on the partition's item. */
export function fenceCheck(partitions: string, fence: Fence): TransactWriteItem {
  return {
    ConditionCheck: {
      TableName: partitions,
      Key: { part: n(fence.partition) },
      ConditionExpression: "epoch = :e AND #owner = :o",
      ExpressionAttributeNames: { "#owner": "owner" },
      ExpressionAttributeValues: { ":e": n(fence.epoch), ":o": s(fence.owner) },
    },
  };
}
