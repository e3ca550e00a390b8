import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  aborted,
  alreadyExists,
  failedPrecondition,
  notFound,
  StaleOwnerError,
  unavailable,
} from "../../core/errors.js";
import type { Job, JobLimits, JobTarget, Schedule } from "../../core/job.js";
import type {
  Claim,
  DueJob,
  Fence,
  JobChange,
  JobExpectation,
  JobQuery,
  JobStore,
  Page,
  PendingRuns,
  Settlement,
} from "../../core/ports/job-store.js";
import { priorityOf } from "../../core/priority.js";
import { tenantOrDefault } from "../../core/tenant.js";
import { batchGet, dynamo, fromPageToken, queryDeadlines } from "./calls.js";
import { claimAction, fenceCheck } from "./claim-writes.js";
import type { TableNames } from "./client.js";
import { createGroupCommit } from "./group-commit.js";
import { createJobOnce, enableIdempotencyTtl } from "./idempotency.js";
import {
  decodeToken,
  type Item,
  itemToJob,
  jobToItem,
  n,
  num,
  numSet,
  s,
  str,
  toPage,
} from "./job-item.js";
import { listJobs } from "./job-list.js";
import { DUE_INDEX, dueIndexProjection, ensureTables, RECOVER_INDEX, tableKeys } from "./tables.js";
import { tenantClause, visible } from "./tenant.js";

export interface DynamoJobStoreOptions {
  client: DynamoDBClient;
  tables: TableNames;
  partitionCount: number;
}

/** Jobs, the due index and claim records in DynamoDB. */
export function createDynamoJobStore(options: DynamoJobStoreOptions): JobStore {
  const { client } = options;
  const table = options.tables.jobs;
  /**
   * Whether the due index carries `ntf` and `lim` (tables created before
   * notifications and limits do not): if not, due runs are sent without
   * their target, so that the worker reads the job and sees its
   * notifications and limits.
   */
  let dueCarriesRunOptions = true;

  const commits = createGroupCommit({ client, keys: tableKeys(options.tables) });

  /**
   * One claim, written with the partition's fence check in a transaction
   * shared with other partitions' claims (see `group-commit.ts`).
   */
  async function claimOne(claim: Claim, fence: Fence | undefined): Promise<boolean> {
    const claimed = claimAction(table, claim);
    const actions = fence ? [fenceCheck(options.tables.partitions, fence), claimed] : [claimed];
    const refusal = await commits.write(actions);
    if (!refusal) return true;
    if (fence && refusal[0] === "ConditionalCheckFailed") {
      throw new StaleOwnerError(fence.partition, fence.epoch);
    }
    if (refusal.at(-1) === "ConditionalCheckFailed") return false;
    throw unavailable("DynamoDB", new Error(`claim of ${claim.job.id} refused: ${refusal}`));
  }

  async function read(id: string): Promise<Item | undefined> {
    const out = await dynamo(() =>
      client.send(
        new GetItemCommand({ TableName: table, Key: { id: s(id) }, ConsistentRead: true }),
      ),
    );
    return out.Item;
  }

  /** Set by init: false for a table whose due index predates priorities. */
  let duePriority = false;
  /** Set by init: false for a table whose due index predates tenancy. */
  let dueTenant = false;

  /**
   * The tenants of due jobs read from an index that does not project them:
   * one BatchGetItem per page (not a read per run), until the index is rebuilt.
   */
  async function tenantsOf(items: Item[]): Promise<Map<string, string | undefined>> {
    const full = await batchGet(
      client,
      table,
      items.map((item) => ({ id: item.id! })),
      (item) => item.id?.S ?? "",
      "id, tenant",
    );
    return new Map(full.map((item) => [str(item, "id")!, str(item, "tenant")]));
  }

  return {
    async init() {
      await dynamo(() => ensureTables(client, options.tables, options.partitionCount));
      const projects = await dynamo(() => dueIndexProjection(client, table));
      duePriority = projects("prio");
      dueTenant = projects("tenant");
      dueCarriesRunOptions = projects("ntf") && projects("lim");
      await enableIdempotencyTtl(client, table);
    },

    createJobOnce: (job, record) => createJobOnce(client, table, job, record, job.createdMs),

    async createJob(job) {
      try {
        await dynamo(() =>
          client.send(
            new PutItemCommand({
              TableName: table,
              Item: jobToItem(job),
              ConditionExpression: "attribute_not_exists(id)",
            }),
          ),
        );
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) throw alreadyExists(`job ${job.id}`);
        throw err;
      }
    },

    async getJob(scope, id) {
      const item = await read(id);
      return visible(item, scope) ? itemToJob(item) : undefined;
    },

    listJobs(tenant: string, query: JobQuery): Promise<Page<Job>> {
      return fromPageToken(query.pageToken, () => listJobs(client, table, tenant, query));
    },

    async updateJob(
      tenant: string,
      id: string,
      change: JobChange,
      expect: JobExpectation,
      nowMs: number,
    ) {
      const names: Record<string, string> = { "#v": "v" };
      const values: Item = { ":one": n(1), ":now": n(nowMs) };
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
      if (change.nextRunMs === null) remove.push("next_run");
      else if (change.nextRunMs !== undefined) put("next_run", n(change.nextRunMs));
      if (change.retryPolicy === null) remove.push("retry");
      else if (change.retryPolicy) put("retry", s(JSON.stringify(change.retryPolicy)));

      const conditions = ["attribute_exists(id)", tenantClause(tenant, names, values)];
      if (expect.version !== undefined) {
        conditions.push("#v = :ev");
        values[":ev"] = n(expect.version);
      }
      if (expect.statusIn?.length) {
        names["#cst"] = "st";
        const keys = expect.statusIn.map((st, i) => {
          values[`:cst${i}`] = s(st);
          return `:cst${i}`;
        });
        conditions.push(`#cst IN (${keys.join(", ")})`);
      }
      try {
        const out = await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { id: s(id) },
              UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
              ConditionExpression: conditions.join(" AND "),
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValues: "ALL_NEW",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          ),
        );
        return itemToJob(out.Attributes!);
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        const old = err.Item;
        // Another tenant's job answers as an unknown one.
        if (!visible(old, tenant)) throw notFound(`job ${id}`);
        if (expect.version !== undefined && num(old, "v") !== expect.version) {
          throw aborted(`job ${id} is at version ${num(old, "v")}, not ${expect.version}`);
        }
        throw failedPrecondition(`job ${id} is ${str(old, "st")}`);
      }
    },

    async recordManualRun(tenant, id, scheduledMs, recoverAtMs) {
      // Read, then write conditionally on the claim sequence: keeps a pending
      // recovery deadline that is still ahead, replaces a stale one. The
      // tenant never changes, so checking it on the read is enough.
      for (let attempt = 0; ; attempt++) {
        const item = await read(id);
        if (!visible(item, tenant)) throw notFound(`job ${id}`);
        if (str(item, "st") === "CANCELLED") throw failedPrecondition(`job ${id} is CANCELLED`);
        const pending = num(item, "recover_at");
        // As for a claim: keep a pending deadline unless it is older than a
        // start timeout (stale), then this run's.
        const timeout = recoverAtMs - scheduledMs;
        const recoverAt =
          pending !== undefined && pending > scheduledMs - timeout
            ? Math.min(pending, recoverAtMs)
            : recoverAtMs;
        try {
          const out = await dynamo(() =>
            client.send(
              new UpdateItemCommand({
                TableName: table,
                Key: { id: s(id) },
                UpdateExpression: "SET recover_at = :ra ADD claimed_m :t, cseq :one",
                ConditionExpression: "cseq = :cseq AND #st <> :cancelled",
                ExpressionAttributeNames: { "#st": "st" },
                ExpressionAttributeValues: {
                  ":ra": n(recoverAt),
                  ":t": { NS: [String(scheduledMs)] },
                  ":one": n(1),
                  ":cseq": n(num(item, "cseq") ?? 0),
                  ":cancelled": s("CANCELLED"),
                },
                ReturnValues: "ALL_NEW",
              }),
            ),
          );
          return itemToJob(out.Attributes!);
        } catch (err) {
          if (!(err instanceof ConditionalCheckFailedException) || attempt >= 10) throw err;
        }
      }
    },

    async dueJobs(partition, untilMs, limit) {
      const out = await dynamo(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: DUE_INDEX,
            KeyConditionExpression: "part = :p AND next_run <= :until",
            ExpressionAttributeValues: { ":p": n(partition), ":until": n(untilMs) },
            Limit: limit,
          }),
        ),
      );
      const items = out.Items ?? [];
      const tenants = dueTenant ? undefined : await tenantsOf(items);
      return items.map((item): DueJob => {
        const id = str(item, "id")!;
        const due: DueJob = {
          id,
          tenant: tenantOrDefault(tenants ? tenants.get(id) : str(item, "tenant")),
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
        if (duePriority) due.priority = priorityOf(str(item, "prio"));
        return due;
      });
    },

    async claimRuns(claims, fence) {
      const settled = await Promise.allSettled(claims.map((claim) => claimOne(claim, fence)));
      const failure = settled.find((r) => r.status === "rejected");
      if (failure) throw failure.reason;
      return settled.map((r) => (r as PromiseFulfilledResult<boolean>).value);
    },

    async fencePartition(fence) {
      try {
        await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: options.tables.partitions,
              Key: { part: n(fence.partition) },
              UpdateExpression: "SET epoch = :e, #owner = :o",
              ConditionExpression:
                "attribute_not_exists(epoch) OR epoch < :e OR (epoch = :e AND #owner = :o)",
              ExpressionAttributeNames: { "#owner": "owner" },
              ExpressionAttributeValues: { ":e": n(fence.epoch), ":o": s(fence.owner) },
            }),
          ),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },

    async pendingRuns(partition, fromMs, toMs, limit, pageToken) {
      const out = await queryDeadlines(
        client,
        { table, index: RECOVER_INDEX, rangeAttr: "recover_at" },
        { partition, fromMs, toMs, limit, startKey: decodeToken(pageToken) },
      );
      const items = (out.Items ?? []).map(
        (item): PendingRuns => ({
          jobId: str(item, "id")!,
          partition,
          status: str(item, "st") as PendingRuns["status"],
          scheduled: numSet(item, "claimed"),
          manual: numSet(item, "claimed_m"),
          claimSeq: num(item, "cseq") ?? 0,
          recoverAtMs: num(item, "recover_at")!,
          active: str(item, "st") === "ACTIVE" && num(item, "next_run") !== undefined,
        }),
      );
      return toPage(items, out.LastEvaluatedKey);
    },

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
