import {
  type AttributeDefinition,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { systemClock } from "../../core/clock.js";
import { type RetrySchedule, retry } from "../../core/retry.js";

/** How a start waits: for the table's other new index, and for this one. */
const POLL: RetrySchedule = { baseMs: 200, maxMs: 1_000 };

export interface AddIndexOptions {
  /**
   * How long to wait for the table's other new indexes to be built first
   * (default 10 s): a table builds one new index at a time, and DynamoDB
   * refuses a second meanwhile (LimitExceededException).
   */
  othersBuiltWithinMs?: number;
  /** Wait until this index is ACTIVE, at most this long (default: do not wait). */
  activeWithinMs?: number;
  /** The start cannot go on without it: deferring it is an error (the next start tries again). */
  required?: boolean;
}

/**
 * Adds a GSI to a table created before it existed (a table that has it
 * costs one DescribeTable; one added by another process at the same time
 * counts as added). Deferred when the table's other new index is still being
 * built: not added now, and a start that can go on without it adds it
 * later; for one that cannot (`required`) that is an error.
 */
export async function addIndex(
  client: DynamoDBClient,
  table: string,
  index: GlobalSecondaryIndex,
  attributes: AttributeDefinition[],
  options: AddIndexOptions = {},
): Promise<void> {
  const indexes = async () =>
    (await client.send(new DescribeTableCommand({ TableName: table }))).Table
      ?.GlobalSecondaryIndexes ?? [];
  const own = async () => (await indexes()).find((ix) => ix.IndexName === index.IndexName);
  const deferred = () => {
    if (options.required) {
      throw new Error(
        `index ${index.IndexName} of ${table} not added: another index is being built`,
      );
    }
  };
  if (!(await own())) {
    const waitMs = options.othersBuiltWithinMs ?? 10_000;
    try {
      await retry(
        { ...POLL, maxElapsedMs: waitMs, ...(waitMs === 0 && { attempts: 1 }) },
        async () => {
          if ((await indexes()).some((ix) => ix.IndexStatus !== "ACTIVE")) {
            throw new Error("another index of the table is being built");
          }
        },
        systemClock,
      );
    } catch {
      return deferred();
    }
    try {
      await client.send(
        new UpdateTableCommand({
          TableName: table,
          AttributeDefinitions: attributes,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
    } catch (err) {
      // Another process added it at the same time: as good as added here.
      if (!(await own())) {
        if ((err as { name?: string }).name === "LimitExceededException") return deferred();
        throw err;
      }
    }
  }
  if (options.activeWithinMs !== undefined) {
    await retry(
      { ...POLL, maxElapsedMs: options.activeWithinMs },
      async () => {
        if ((await own())?.IndexStatus !== "ACTIVE") {
          throw new Error(`index ${index.IndexName} of ${table} did not become ACTIVE`);
        }
      },
      systemClock,
    );
  }
}
