import { randomUUID } from "node:crypto";
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { claimsMore } from "../../core/claim-rules.js";
import { systemClock } from "../../core/clock.js";
import { StaleOwnerError } from "../../core/errors.js";
import { inOrder } from "../../core/in-order.js";
import type { JobLimits, JobStatus, JobTarget, Schedule } from "../../core/job.js";
import type {
  Claim,
  DueJob,
  Fence,
  JobStore,
  PendingRuns,
  Settlement,
} from "../../core/ports/job-store.js";
import { priorityOf } from "../../core/priority.js";
import { tenantOrDefault } from "../../core/tenant.js";
import { batchGet, dynamo, queryDeadlines } from "./calls.js";
import { CLAIM_MARK_ATTR, claimUpdate, planEntry, plansOf } from "./claim-writes.js";
import { readClaimedRuns } from "./claimed-runs.js";
import type { TableNames } from "./client.js";
import { failureStateOf } from "./failure-count.js";
import { HIGH_INDEX, HIGH_PART_ATTR, highIndexReadiness } from "./high-index.js";
import { decodeToken, type Item, n, num, numSet, s, str, toPage } from "./job-item.js";
import { fenceHolds } from "./partition-fences.js";
import {
  DUE_INDEX,
  DUE_PROJECTION,
  dueIndexProjection,
  indexProjection,
  PLAN_ATTR,
  RECOVER_INDEX,
} from "./tables.js";

/**
 * Claim writes of one `claimRuns` call in flight at once. Each is a plain
 * UpdateItem: on AWS they run in parallel; DynamoDB Local takes about 32
 * concurrent conditional writes before more only add latency.
 */
const CLAIM_CONCURRENCY = 16;

/**
 * The scheduler's side of the job store: the due index, claims (checked
 * against the partitions' fences, which partition-fences.ts writes) and the
 * recovery record.
 */
export type JobClaims = Pick<
  JobStore,
  "dueJobs" | "claimRuns" | "pendingRuns" | "settleRuns" | "claimedRuns" | "recordedClaims"
> & {
  /** Reads which attributes the due index projects (once, at init). */
  init(): Promise<void>;
};

/**
 * Claims in DynamoDB: what the scheduler reads from the due index, the
 * conditional claim writes (one UpdateItem each, fenced on the job item)
 * and what the recovery sweep reads and settles.
 */
export function createJobClaims(options: {
  client: DynamoDBClient;
  tables: TableNames;
}): JobClaims {
  const { client } = options;
  const table = options.tables.jobs;
  /**
   * Whether the due index carries `ntf` and `lim` (tables created before
   * notifications and limits do not): if not, due runs are sent without
   * their target, so that the worker reads the job and sees its
   * notifications and limits.
   */
  let dueCarriesRunOptions = true;
  /** Set by init: false for a table whose due index predates priorities. */
  let duePriority = false;
  /** Set by init: false for a table whose due index predates tenancy. */
  let dueTenant = false;
  /** Whether the HIGH index is there to read (a table from before it builds it first). */
  const highReady = highIndexReadiness(client, table, systemClock, DUE_PROJECTION);
  /**
   * Set by init: false for a table whose recover index predates flexible
   * windows (it does not project the plans): the sweep reads them from the
   * items, one BatchGetItem per page.
   */
  let recoverPlans = true;
  /** Set by init: false for a table whose due index predates `remaining_runs`. */
  let dueRemaining = false;

  /**
   * One claim: a plain conditional UpdateItem of the job (1 write unit), the
   * fence on the job item (see `claimUpdate`). False when its condition
   * failed, unless the item carries this call's own mark: then an earlier
   * attempt of this call wrote it and its answer was lost (the SDK retried),
   * and the runs are this claimer's to send. Without the mark they were left
   * to the recovery sweep, a start timeout late. A won claim's answer is
   * the job item (returned values cost no read unit), which tells
   * `claim.found`.
   */
  async function claimOne(claim: Claim, fence: Fence | undefined): Promise<boolean> {
    const mark = randomUUID();
    const update = claimUpdate(table, claim, fence, mark);
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
      if (out.Attributes) claim.found = failureStateOf(out.Attributes);
      return true;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const ours = err.Item?.[CLAIM_MARK_ATTR]?.S === mark;
      if (ours && err.Item) claim.found = failureStateOf(err.Item);
      return ours;
    }
  }

  /**
   * What an index that predates them does not project (the tenant, the runs
   * left), read for the due jobs of a page: one BatchGetItem per page (not a
   * read per run), until the index is rebuilt. Items as read, by id.
   */
  async function unprojected(items: Item[]): Promise<Map<string, Item> | undefined> {
    if ((dueTenant && dueRemaining) || items.length === 0) return undefined;
    const full = await batchGet(
      client,
      table,
      items.map((item) => ({ id: item.id! })),
      (item) => item.id?.S ?? "",
      "id, tenant, rem",
    );
    return new Map(full.map((item) => [str(item, "id")!, item]));
  }

  /** The plan sets of recover-index items, read from the items (an index that does not project them). */
  async function plansRead(items: Item[]): Promise<Map<string, string[] | undefined>> {
    if (items.length === 0) return new Map();
    const full = await batchGet(
      client,
      table,
      items.map((item) => ({ id: item.id! })),
      (item) => item.id?.S ?? "",
      `id, ${PLAN_ATTR}`,
    );
    return new Map(full.map((item) => [str(item, "id")!, item[PLAN_ATTR]?.SS]));
  }

  return {
    async init() {
      const projects = await dynamo(() => dueIndexProjection(client, table));
      duePriority = projects("prio");
      dueTenant = projects("tenant");
      dueRemaining = projects("rem");
      dueCarriesRunOptions = projects("ntf") && projects("lim");
      recoverPlans = (await dynamo(() => indexProjection(client, table, RECOVER_INDEX)))(PLAN_ATTR);
    },

    async dueJobs(partition, untilMs, limit, only) {
      if (only === "HIGH" && !(await dynamo(highReady))) return [];
      const out = await dynamo(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: only === "HIGH" ? HIGH_INDEX : DUE_INDEX,
            KeyConditionExpression: `${only === "HIGH" ? HIGH_PART_ATTR : "part"} = :p AND next_run <= :until`,
            ExpressionAttributeValues: { ":p": n(partition), ":until": n(untilMs) },
            Limit: limit,
          }),
        ),
      );
      const items = out.Items ?? [];
      // The HIGH index is newer than priorities, tenancy and run limits: it
      // projects all that the due index does (`DUE_PROJECTION`).
      const high = only === "HIGH";
      const read = high ? undefined : await unprojected(items);
      return items.map((item): DueJob => {
        const id = str(item, "id")!;
        const full = read?.get(id) ?? {};
        const due: DueJob = {
          id,
          tenant: tenantOrDefault(str(dueTenant || high ? item : full, "tenant")),
          partition,
          nextRunMs: num(item, "next_run")!,
          schedule: JSON.parse(str(item, "sched")!) as Schedule,
        };
        const tgt = str(item, "tgt");
        if (tgt && dueCarriesRunOptions) due.target = JSON.parse(tgt) as JobTarget;
        if (item.ntf) due.notify = true;
        const ra = num(item, "recover_at");
        if (ra !== undefined) due.recoverAtMs = ra;
        const lim = str(item, "lim");
        if (lim) due.limits = JSON.parse(lim) as JobLimits;
        if (duePriority || high) due.priority = priorityOf(str(item, "prio"));
        const rem = num(dueRemaining || high ? item : full, "rem");
        if (rem !== undefined) due.remainingRuns = rem;
        return due;
      });
    },

    async claimRuns(claims, fence) {
      const won: boolean[] = [];
      await inOrder([...claims.keys()], CLAIM_CONCURRENCY, async (i) => {
        won[i] = await claimOne(claims[i]!, fence);
      });
      // A refused claim is a lost race, or a newer owner's fence on the job:
      // the partition's fence item tells which (one read, only then).
      if (fence && won.includes(false)) {
        if (!(await fenceHolds(client, options.tables.partitions, fence))) {
          throw new StaleOwnerError(fence.partition, fence.epoch, won);
        }
      }
      return won;
    },

    async recordedClaims(runs) {
      const items = await batchGet(
        client,
        table,
        [...new Set(runs.map((r) => r.jobId))].map((id) => ({ id: s(id) })),
        (item) => item.id?.S ?? "",
        "id, claimed",
      );
      const recorded = new Set(
        items.flatMap((item) => numSet(item, "claimed").map((t) => `${str(item, "id")}:${t}`)),
      );
      return new Set(
        runs.map((r) => `${r.jobId}:${r.scheduledMs}`).filter((key) => recorded.has(key)),
      );
    },

    async pendingRuns(partition, fromMs, toMs, limit, pageToken) {
      const out = await queryDeadlines(
        client,
        { table, index: RECOVER_INDEX, rangeAttr: "recover_at" },
        { partition, fromMs, toMs, limit, startKey: decodeToken(pageToken) },
      );
      const found = out.Items ?? [];
      const planSets = recoverPlans ? undefined : await plansRead(found);
      const items = found.map((item): PendingRuns => {
        const id = str(item, "id")!;
        const next = num(item, "next_run");
        const pending: PendingRuns = {
          jobId: id,
          partition,
          status: str(item, "st") as PendingRuns["status"],
          scheduled: numSet(item, "claimed"),
          manual: numSet(item, "claimed_m"),
          claimSeq: num(item, "cseq") ?? 0,
          recoverAtMs: num(item, "recover_at")!,
          active: claimsMore(str(item, "st") as JobStatus, next),
        };
        if (pending.active && next !== undefined) pending.nextRunMs = next;
        const plans = plansOf(planSets ? planSets.get(id) : item[PLAN_ATTR]?.SS);
        if (plans.length > 0) pending.plans = plans;
        return pending;
      });
      return toPage(items, out.LastEvaluatedKey);
    },

    claimedRuns: (jobId) => readClaimedRuns(client, table, jobId),

    async settleRuns(settlement: Settlement) {
      const values: Item = {};
      const clearing = settlement.recoverAtMs === undefined;
      if (clearing) values[":cseq"] = n(settlement.claimSeq ?? -1);
      const del: string[] = [];
      if (settlement.startedScheduled.length) {
        del.push("claimed :ds");
        values[":ds"] = { NS: settlement.startedScheduled.map(String) };
      }
      if (settlement.startedManual.length) {
        del.push("claimed_m :dm");
        values[":dm"] = { NS: settlement.startedManual.map(String) };
      }
      const names: Record<string, string> = {};
      if (settlement.startedPlans?.length) {
        names["#plan"] = PLAN_ATTR;
        del.push("#plan :dp");
        values[":dp"] = { SS: settlement.startedPlans.map(planEntry) };
      }
      let expression: string;
      if (settlement.recoverAtMs === undefined) {
        expression = "REMOVE recover_at";
      } else {
        expression = "SET recover_at = :ra";
        values[":ra"] = n(settlement.recoverAtMs);
      }
      if (del.length) expression += ` DELETE ${del.join(", ")}`;
      try {
        await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { id: s(settlement.jobId) },
              UpdateExpression: expression,
              ...(clearing ? { ConditionExpression: "cseq = :cseq" } : {}),
              ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
              ExpressionAttributeValues: values,
            }),
          ),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },
  };
}
