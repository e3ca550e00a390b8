import {
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
} from "@aws-sdk/client-dynamodb";
import type { Clock } from "../../core/clock.js";
import { addIndex } from "./add-index.js";

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

/**
 * Adds the HIGH index to a jobs table created before it. Does not wait for
 * it: on AWS a new index on a large table takes a while, and until it is
 * ACTIVE the scheduler reads no HIGH runs apart (they are claimed in time
 * order, as before). A table that has it costs one DescribeTable.
 *
 * A table builds one new index at a time: while another is being built (an
 * older table given the quota index in the same start), it first waits up
 * to `waitMs` (10 s) for that one (`addIndex`); past that, the start goes on
 * without it and `highIndexReadiness` adds it later.
 */
export async function ensureHighIndex(
  client: DynamoDBClient,
  table: string,
  projected: string[],
  waitMs = 10_000,
): Promise<void> {
  await addIndex(client, table, highIndex(projected), highIndexAttributes, {
    othersBuiltWithinMs: waitMs,
  });
}

/** How long a HIGH index found missing is trusted to stay so. */
const RECHECK_MISSING_MS = 60_000;
/** How long one found being built is: it becomes ACTIVE by itself. */
const RECHECK_BUILDING_MS = 5_000;

/**
 * Whether the HIGH index can be queried: ACTIVE on the table. Asked again
 * while it is not: every 5 s while it is being built (a fresh table's index
 * may be CREATING for a while on a busy DynamoDB Local), once a minute while
 * it is missing (its creation deferred, see `ensureHighIndex`: it is added
 * then). Once ACTIVE, never again.
 *
 * One DescribeTable at a time, whatever the number of callers: every
 * partition's HIGH pass asks at once when a burst leaves each with a
 * backlog. A DescribeTable that fails counts as "not ready" until the next
 * recheck, 5 s on: the due index then serves the HIGH runs in time order.
 * Measured at a million jobs on DynamoDB Local, where a DescribeTable reads
 * the whole table to size its indexes: 256 HIGH passes each sent one at the
 * top of the hour, every one timed out at 10 s and was sent again, and the
 * store answered nothing else for 20 minutes.
 */
export function highIndexReadiness(
  client: DynamoDBClient,
  table: string,
  clock: Clock,
  projected: string[],
) {
  let active = false;
  let recheckAt = Number.NEGATIVE_INFINITY;
  let asking: Promise<boolean> | undefined;
  const ask = async (): Promise<boolean> => {
    try {
      const out = await client.send(new DescribeTableCommand({ TableName: table }));
      const ix = out.Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === HIGH_INDEX);
      active = ix?.IndexStatus === "ACTIVE";
      recheckAt = clock.now() + (ix ? RECHECK_BUILDING_MS : RECHECK_MISSING_MS);
      // Never waits here: a claim pass asked.
      if (!ix) await ensureHighIndex(client, table, projected, 0);
    } catch {
      recheckAt = clock.now() + RECHECK_BUILDING_MS;
    }
    return active;
  };
  return (): Promise<boolean> => {
    if (active || clock.now() < recheckAt) return Promise.resolve(active);
    asking ??= ask().finally(() => {
      asking = undefined;
    });
    return asking;
  };
}
