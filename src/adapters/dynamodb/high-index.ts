import {
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { type Clock, systemClock } from "../../core/clock.js";
import { type RetrySchedule, retry } from "../../core/retry.js";

/**
 * GSI of the HIGH jobs of each partition by next run: hash `hpart` (the
 * job's partition, present only on HIGH jobs), range `next_run`, projecting
 * what the due index projects. A HIGH run due with a backlog of lower ones
 * is read here first, where the due index would list it after every run of
 * its partition that sorts before it.
 *
 * Sparse: a MEDIUM or LOW job has no `hpart`, so its writes cost this index
 * nothing; a HIGH job's claim moves `next_run` in both indexes (one more
 * index write per HIGH fire). `hpart` is written when the job is created
 * HIGH, set or removed when UpdateJob changes the priority, and set again by
 * every claim of a HIGH job (a job stored before the index gets it at its
 * first claim).
 */
export const HIGH_INDEX = "high";
export const HIGH_PART_ATTR = "hpart";

/** Attributes the index carries beside its keys: those of the due index. */
export function highIndex(projected: string[]): GlobalSecondaryIndex {
  return {
    IndexName: HIGH_INDEX,
    KeySchema: [
      { AttributeName: HIGH_PART_ATTR, KeyType: "HASH" },
      { AttributeName: "next_run", KeyType: "RANGE" },
    ],
    Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: projected },
  };
}

export const highIndexAttributes = [
  { AttributeName: HIGH_PART_ATTR, AttributeType: "N" as const },
  { AttributeName: "next_run", AttributeType: "N" as const },
];

/** How long a start waits for another new index of the table to be built first. */
const BUILT_WAIT: RetrySchedule = { baseMs: 200, maxMs: 1_000, maxElapsedMs: 10_000 };

/**
 * Adds the HIGH index to a jobs table created before it. Does not wait for
 * it: on AWS a new index on a large table takes a while, and until it is
 * ACTIVE the scheduler reads no HIGH runs apart (they are claimed in time
 * order, as before). A table that has it costs one DescribeTable.
 *
 * A table builds one new index at a time: while another is being built (an
 * older table given the quota index in the same start), DynamoDB refuses
 * with LimitExceededException. So it first waits up to `waitMs` (10 s) for
 * the table's indexes to be built; past that, or refused all the same, the
 * start goes on without it and `highIndexReadiness` adds it later.
 */
export async function ensureHighIndex(
  client: DynamoDBClient,
  table: string,
  projected: string[],
  waitMs = BUILT_WAIT.maxElapsedMs!,
): Promise<void> {
  const indexes = async () =>
    (await client.send(new DescribeTableCommand({ TableName: table }))).Table
      ?.GlobalSecondaryIndexes ?? [];
  const has = async () => (await indexes()).some((ix) => ix.IndexName === HIGH_INDEX);
  if (await has()) return;
  try {
    await retry(
      { ...BUILT_WAIT, maxElapsedMs: waitMs, ...(waitMs === 0 && { attempts: 1 }) },
      async () => {
        if ((await indexes()).some((ix) => ix.IndexStatus !== "ACTIVE")) {
          throw new Error("another index of the table is being built");
        }
      },
      systemClock,
    );
  } catch {
    return; // added later (above)
  }
  try {
    await client.send(
      new UpdateTableCommand({
        TableName: table,
        AttributeDefinitions: highIndexAttributes,
        GlobalSecondaryIndexUpdates: [{ Create: highIndex(projected) }],
      }),
    );
  } catch (err) {
    // Another process added it at the same time.
    if (await has()) return;
    // Another index of the table is being built: added later (above).
    if ((err as { name?: string }).name === "LimitExceededException") return;
    throw err;
  }
}

/** How long a HIGH index found missing or building is trusted to stay so. */
const RECHECK_MS = 60_000;

/**
 * Whether the HIGH index can be queried: ACTIVE on the table. Asked again
 * at most once a minute while it is not (an index being built on an older
 * table becomes usable without a restart); once ACTIVE, never again. An
 * index found missing (its creation deferred, see `ensureHighIndex`) is
 * added then.
 */
export function highIndexReadiness(
  client: DynamoDBClient,
  table: string,
  clock: Clock,
  projected: string[],
) {
  let active = false;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return async (): Promise<boolean> => {
    if (active || clock.now() - checkedAt < RECHECK_MS) return active;
    checkedAt = clock.now();
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    const ix = out.Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === HIGH_INDEX);
    active = ix?.IndexStatus === "ACTIVE";
    // Never waits here: a claim pass asked.
    if (!ix) await ensureHighIndex(client, table, projected, 0);
    return active;
  };
}
