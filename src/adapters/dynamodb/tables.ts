import {
  type AttributeDefinition,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  type GlobalSecondaryIndex,
  PutItemCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { ChronoringError } from "../../core/errors.js";
import type { TableNames } from "./client.js";
import { deadIndex, deadIndexAttributes, ensureDeadIndex } from "./dead-index.js";
import { ensureHighIndex, HIGH_PART_ATTR, highIndex } from "./high-index.js";
import { ensureQuotaIndex, quotaIndex, quotaIndexAttributes } from "./quota-index.js";

/** GSI of jobs by partition and next run: what the scheduler queries. Sparse: only jobs with a next run. */
export const DUE_INDEX = "due";
/** What the due index (and the HIGH index) carry of a job: what a claim and its run message need. */
export const DUE_PROJECTION = ["sched", "tgt", "recover_at", "lim", "prio", "ntf", "tenant", "rem"];
/** GSI of jobs by partition and recovery deadline: what the recovery sweep queries. Sparse. */
export const RECOVER_INDEX = "recover";
/**
 * The job item's planned starts of claimed runs with a flexible window: a
 * string set of `<scheduled ms>:<planned ms>` (see `claim-writes.ts`).
 */
export const PLAN_ATTR = "wplan";
/** GSI of jobs by owner, newest first. */
export const OWNER_INDEX = "by_owner";
/** GSI of executions by worker and start time. */
export const WORKER_INDEX = "by_worker";
/** GSI of re-queued attempts by partition and recheck time. Sparse: only QUEUED attempts. */
export const REQUEUED_INDEX = "requeued";

/** The jobs table item holding the partition count the tables were created with. */
export const META_ID = "meta#partitions";

/**
 * A GSI projecting `include` (attributes besides the keys). Keys only where
 * listings read the items afterwards: an index entry that holds no attribute
 * a write changes costs that write nothing.
 */
export function gsi(
  name: string,
  hash: string,
  range: string,
  include: string[] | "keys",
): GlobalSecondaryIndex {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: hash, KeyType: "HASH" },
      { AttributeName: range, KeyType: "RANGE" },
    ],
    Projection:
      include === "keys"
        ? { ProjectionType: "KEYS_ONLY" }
        : { ProjectionType: "INCLUDE", NonKeyAttributes: include },
  };
}

export function attrs(defs: Record<string, "S" | "N">): AttributeDefinition[] {
  return Object.entries(defs).map(([AttributeName, AttributeType]) => ({
    AttributeName,
    AttributeType,
  }));
}

/** Creates a table (on demand) unless it exists, and waits until it and its indexes are ACTIVE. */
export async function createIfMissing(
  client: DynamoDBClient,
  input: ConstructorParameters<typeof CreateTableCommand>[0],
): Promise<void> {
  const name = input.TableName!;
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  try {
    await client.send(new CreateTableCommand({ ...input, BillingMode: "PAY_PER_REQUEST" }));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  for (let i = 0; i < 120; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    const indexes = out.Table?.GlobalSecondaryIndexes ?? [];
    if (out.Table?.TableStatus === "ACTIVE" && indexes.every((ix) => ix.IndexStatus === "ACTIVE"))
      return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

/**
 * Workflows (key id; by owner, newest first), their runs (key wf + run_ms),
 * and tenants (key tenant + rec: the quota record and each process's usage report).
 */
function moreTables(names: TableNames): Array<ConstructorParameters<typeof CreateTableCommand>[0]> {
  return [
    {
      TableName: names.tenants,
      KeySchema: [
        { AttributeName: "tenant", KeyType: "HASH" },
        { AttributeName: "rec", KeyType: "RANGE" },
      ],
      AttributeDefinitions: attrs({ tenant: "S", rec: "S" }),
    },
    {
      TableName: names.workflows,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: attrs({ id: "S", owner: "S", created: "N" }),
      GlobalSecondaryIndexes: [
        { ...gsi(OWNER_INDEX, "owner", "created", "keys"), Projection: { ProjectionType: "ALL" } },
      ],
    },
    {
      TableName: names.workflowRuns,
      KeySchema: [
        { AttributeName: "wf", KeyType: "HASH" },
        { AttributeName: "run_ms", KeyType: "RANGE" },
      ],
      AttributeDefinitions: attrs({ wf: "S", run_ms: "N" }),
    },
  ];
}

/** Each table's key attributes: what tells one item from another. */
export function tableKeys(names: TableNames): Record<string, string[]> {
  return {
    [names.jobs]: ["id"],
    [names.executions]: ["job_id", "run"],
    [names.partitions]: ["part"],
    [names.calendars]: ["name"],
    [names.workflows]: ["id"],
    [names.workflowRuns]: ["wf", "run_ms"],
    [names.tenants]: ["tenant", "rec"],
  };
}

/**
 * Creates the jobs and executions tables when missing, and fixes the number
 * of logical partitions on first creation. Returns the stored partition count;
 * a different configured count is a configuration error.
 */
export async function ensureTables(
  client: DynamoDBClient,
  names: TableNames,
  partitionCount: number,
): Promise<number> {
  await Promise.all([
    createIfMissing(client, {
      TableName: names.jobs,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: attrs({
        id: "S",
        part: "N",
        next_run: "N",
        recover_at: "N",
        owner: "S",
        created: "N",
        [HIGH_PART_ATTR]: "N",
      }).concat(quotaIndexAttributes),
      GlobalSecondaryIndexes: [
        gsi(DUE_INDEX, "part", "next_run", DUE_PROJECTION),
        highIndex(DUE_PROJECTION),
        gsi(RECOVER_INDEX, "part", "recover_at", [
          "claimed",
          "claimed_m",
          "cseq",
          "st",
          "next_run",
          PLAN_ATTR,
        ]),
        gsi(OWNER_INDEX, "owner", "created", "keys"),
        quotaIndex,
      ],
    }),
    createIfMissing(client, {
      TableName: names.calendars,
      KeySchema: [{ AttributeName: "name", KeyType: "HASH" }],
      AttributeDefinitions: attrs({ name: "S" }),
    }),
    createIfMissing(client, {
      TableName: names.partitions,
      KeySchema: [{ AttributeName: "part", KeyType: "HASH" }],
      AttributeDefinitions: attrs({ part: "N" }),
    }),
    createIfMissing(client, {
      TableName: names.executions,
      KeySchema: [
        { AttributeName: "job_id", KeyType: "HASH" },
        { AttributeName: "run", KeyType: "RANGE" },
      ],
      AttributeDefinitions: attrs({
        job_id: "S",
        run: "S",
        worker: "S",
        started: "N",
        part: "N",
        requeue_at: "N",
      }).concat(deadIndexAttributes),
      GlobalSecondaryIndexes: [
        gsi(WORKER_INDEX, "worker", "started", "keys"),
        gsi(REQUEUED_INDEX, "part", "requeue_at", "keys"),
        deadIndex,
      ],
    }),
    ...moreTables(names).map((input) => createIfMissing(client, input)),
  ]);
  await ensureDeadIndex(client, names.executions);
  await ensureQuotaIndex(client, names.jobs);
  await ensureHighIndex(client, names.jobs, DUE_PROJECTION);
  try {
    await client.send(
      new PutItemCommand({
        TableName: names.jobs,
        Item: { id: { S: META_ID }, partitions: { N: String(partitionCount) } },
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
    return partitionCount;
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
  }
  const meta = await client.send(
    new GetItemCommand({
      TableName: names.jobs,
      Key: { id: { S: META_ID } },
      ConsistentRead: true,
    }),
  );
  const stored = Number(meta.Item?.partitions?.N);
  if (stored !== partitionCount) {
    throw new ChronoringError(
      "failed_precondition",
      `table ${names.jobs} was created with ${stored} partitions but CHRONORING_PARTITIONS is ${partitionCount}`,
    );
  }
  return stored;
}

/**
 * Which attributes the table's due index projects, from one DescribeTable. A
 * projection cannot change in place: a table created by an older version
 * keeps its index until it is dropped and recreated, and the caller falls
 * back meanwhile (a claim without priority, or without the target, makes the
 * claimer or the worker read the job; without the tenant or `rem`, the
 * claimer reads them for each page it reads).
 */
export async function dueIndexProjection(
  client: DynamoDBClient,
  table: string,
): Promise<(attr: string) => boolean> {
  return indexProjection(client, table, DUE_INDEX);
}

/** Which attributes an index of `table` projects (see `dueIndexProjection`). */
export async function indexProjection(
  client: DynamoDBClient,
  table: string,
  index: string,
): Promise<(attr: string) => boolean> {
  const out = await client.send(new DescribeTableCommand({ TableName: table }));
  const found = out.Table?.GlobalSecondaryIndexes?.find((ix) => ix.IndexName === index);
  const projection = found?.Projection;
  const included = new Set(projection?.NonKeyAttributes ?? []);
  return (attr) => projection?.ProjectionType === "ALL" || included.has(attr);
}
