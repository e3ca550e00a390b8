import type { Update } from "@aws-sdk/client-dynamodb";
import { CLAIMABLE_STATUSES, statusAfterClaim } from "../../core/claim-rules.js";
import type { Claim, Fence, RunPlan } from "../../core/ports/job-store.js";
import { HIGH_PART_ATTR } from "./high-index.js";
import { type Item, n, s, statusIn } from "./job-item.js";
import { PLAN_ATTR } from "./tables.js";

/*
 * The item write of a claim: one plain conditional UpdateItem of the job,
 * the compare-and-set on its next run with the fence carried on the job
 * item itself (no transaction, no read of the partition's item).
 */

/**
 * The job item's fence: the epoch of the partition owner that last claimed
 * it. A claim under a fence requires it absent or not above the claimer's
 * epoch and sets it to that epoch, so once an owner at epoch e has claimed
 * on a job, no owner below e claims on it again.
 */
export const FENCE_ATTR = "fence";

/**
 * The mark of the claim call that last claimed on the job (a random id per
 * call; the SDK sends the same one on each retry of it). A claim refused with
 * its own mark on the item is its own first attempt's write, whose answer was
 * lost (a stalled store, a request timeout): it was won, not lost.
 */
export const CLAIM_MARK_ATTR = "cmark";

/**
 * The claim of one run as one conditional item write (see `Claim`), carrying
 * the call's `mark` when given (see `CLAIM_MARK_ATTR`).
 *
 * What a stale owner (one whose partition a newer owner has taken) can and
 * cannot do under this fence:
 * - it loses every race for a run the new owner claimed (`next_run` moved)
 *   and every claim on a job the new owner has claimed on since (`fence`
 *   above its epoch); such a refusal makes the store read the partition's
 *   fence item and report the owner stale (`StaleOwnerError`);
 * - a run of a job the new owner has not touched yet, claimed first by the
 *   stale owner, is a legitimate claim: the compare-and-set makes it the
 *   only one, and it records `recover_at`, so the new owner's recovery
 *   sweep sends it if the stale owner never does (a second send is harmless:
 *   the worker's conditional start is the once-only guard).
 */
export function claimUpdate(table: string, claim: Claim, fence?: Fence, mark?: string): Update {
  const { job } = claim;
  const names: Record<string, string> = { "#st": "st" };
  const runs = claim.runs ?? [job.nextRunMs];
  const values: Item = {
    ":due": n(job.nextRunMs),
    ":one": n(1),
  };
  const set: string[] = [];
  const add = ["cseq :one"];
  if (mark !== undefined) {
    set.push(`${CLAIM_MARK_ATTR} = :mark`);
    values[":mark"] = s(mark);
  }
  // A record whose runs all started is replaced (`Claim.replacesRecord`);
  // a catch-up that records no run leaves the record as it is.
  const replace = claim.replacesRecord === true && runs.length > 0;
  const remove: string[] = [];
  if (runs.length > 0) {
    values[":t"] = { NS: runs.map(String) };
    values[":last"] = n(Math.max(...runs));
    values[":ra"] = n(claim.recoverAtMs);
    set.push("last_run = :last", "recover_at = :ra");
    if (replace) set.push("claimed = :t");
    else add.unshift("claimed :t");
  }
  if (claim.missed) {
    values[":missed"] = n(claim.missed);
    add.push("missed :missed");
  }
  if (claim.plannedMs !== undefined || replace) names["#plan"] = PLAN_ATTR;
  if (claim.plannedMs !== undefined) {
    // A set, as `claimed`: adds commute with the sweep's deletes of started runs.
    values[":plan"] = {
      SS: [planEntry({ scheduledMs: job.nextRunMs, plannedMs: claim.plannedMs })],
    };
    if (replace) set.push("#plan = :plan");
    else add.push("#plan :plan");
  } else if (replace) {
    remove.push("#plan");
  }
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
  if (job.priority === "HIGH") {
    // Keeps a HIGH job in the HIGH index (a job stored before it gets its
    // entry here), unless UpdateJob changed its priority since the read.
    names["#hp"] = HIGH_PART_ATTR;
    names["#prio"] = "prio";
    values[":high"] = s("HIGH");
    set.push("#hp = part");
    condition += " AND #prio = :high";
  }
  // remaining_runs: a compare-and-set on the count read, so that a run is
  // counted once, and none spent past 0, whoever claims (see `spendRuns`).
  if (job.remainingRuns === undefined) {
    condition += " AND attribute_not_exists(rem)";
  } else {
    condition += " AND rem = :rseen";
    values[":rseen"] = n(job.remainingRuns);
    values[":rleft"] = n(claim.remainingRuns ?? 0);
    set.push("rem = :rleft");
  }
  if (fence) {
    names["#fe"] = FENCE_ATTR;
    values[":epoch"] = n(fence.epoch);
    condition += " AND (attribute_not_exists(#fe) OR #fe <= :epoch)";
    set.push("#fe = :epoch");
  }
  return {
    TableName: table,
    Key: { id: s(job.id) },
    UpdateExpression: `SET ${set.join(", ")} ADD ${add.join(", ")}${
      remove.length ? ` REMOVE ${remove.join(", ")}` : ""
    }`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** One entry of the job item's plan set: `<scheduled ms>:<planned ms>`. */
export function planEntry(plan: RunPlan): string {
  return `${plan.scheduledMs}:${plan.plannedMs}`;
}

/** The plans of a job item's plan set; entries that are not plans are left out. */
export function plansOf(entries: readonly string[] | undefined): RunPlan[] {
  return (entries ?? []).flatMap((entry) => {
    const m = /^(\d{1,16}):(\d{1,16})$/.exec(entry);
    return m ? [{ scheduledMs: Number(m[1]), plannedMs: Number(m[2]) }] : [];
  });
}
