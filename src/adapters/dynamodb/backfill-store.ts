import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { type Backfill, isActive } from "../../core/backfill/types.js";
import { alreadyExists } from "../../core/errors.js";
import type { BackfillStore } from "../../core/ports/backfill-store.js";
import { ALL_TENANTS, inScope, type TenantScope } from "../../core/tenant.js";
import { ACTIVE_INDEX, BY_JOB_INDEX, backfillToItem, itemToBackfill } from "./backfill-item.js";
import { batchGet, conditionally, dynamo, fromPageToken, queryPages } from "./calls.js";
import { type Item, n, s, str } from "./job-item.js";
import { attrs, createIfMissing, gsi } from "./tables.js";

/**
 * Backfill records in their own table, `<prefix>backfills` (layout in
 * `backfill-item.ts`). A record is written whole each time (at most
 * MAX_CONCURRENT_MAX runs out, a few KB), conditional on its version. Both
 * indexes hold keys only: a step's write then costs each index one small
 * entry, and the rare listings read the records by key afterwards.
 */
export function createDynamoBackfillStore(options: {
  client: DynamoDBClient;
  table: string;
}): BackfillStore {
  const { client, table } = options;
  const byId = (item: Item) => str(item, "id")!;

  /** The records of index entries, in their order, those in `scope` only. */
  async function recordsOf(keys: Item[], scope: TenantScope) {
    const items = await batchGet(
      client,
      table,
      keys.map((k) => ({ id: k.id! })),
      byId,
    );
    return items.map(itemToBackfill).filter((b) => inScope(scope, b.tenant));
  }

  return {
    async init() {
      await createIfMissing(client, {
        TableName: table,
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: attrs({ id: "S", job_id: "S", created: "N", act: "N" }),
        GlobalSecondaryIndexes: [
          gsi(BY_JOB_INDEX, "job_id", "created", "keys"),
          gsi(ACTIVE_INDEX, "act", "created", "keys"),
        ],
      });
    },

    async create(backfill) {
      try {
        await dynamo(() =>
          client.send(
            new PutItemCommand({
              TableName: table,
              Item: backfillToItem(backfill),
              ConditionExpression: "attribute_not_exists(id)",
            }),
          ),
        );
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) {
          throw alreadyExists(`backfill ${backfill.id}`);
        }
        throw err;
      }
    },

    async get(scope, id) {
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({ TableName: table, Key: { id: s(id) }, ConsistentRead: true }),
        ),
      );
      if (!out.Item) return undefined;
      const b = itemToBackfill(out.Item);
      return inScope(scope, b.tenant) ? b : undefined;
    },

    async listByJob(tenant, jobId, pageSize, pageToken) {
      const page = await fromPageToken(pageToken, () =>
        queryPages(
          client,
          { pageSize, pageToken },
          (item) => item,
          (limit, startKey) => ({
            TableName: table,
            IndexName: BY_JOB_INDEX,
            KeyConditionExpression: "job_id = :j",
            ExpressionAttributeValues: { ":j": s(jobId) },
            ScanIndexForward: false,
            Limit: limit,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      const items = await recordsOf(page.items, tenant);
      return page.nextToken ? { items, nextToken: page.nextToken } : { items };
    },

    async listActive(limit) {
      const out = await dynamo(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: ACTIVE_INDEX,
            KeyConditionExpression: "act = :one",
            ExpressionAttributeValues: { ":one": n(1) },
            Limit: limit,
          }),
        ),
      );
      // The index lags its table a little: a record read that has ended since is left out.
      return (await recordsOf(out.Items ?? [], ALL_TENANTS)).filter(isActive);
    },

    save(backfill: Backfill) {
      return conditionally(() =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: backfillToItem(backfill),
            ConditionExpression: "ver = :prev",
            ExpressionAttributeValues: { ":prev": n(backfill.version - 1) },
          }),
        ),
      );
    },
  };
}
