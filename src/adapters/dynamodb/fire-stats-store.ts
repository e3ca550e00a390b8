import {
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { emptyCounts, type FireCounts } from "../../core/fire-stats.js";
import type { FireStatsDelta, FireStatsStore } from "../../core/ports/fire-stats-store.js";
import { dynamo } from "./calls.js";
import { type Item, n, num, s } from "./job-item.js";
import { attrs, createIfMissing } from "./tables.js";
import { enableTtl } from "./ttl.js";

/** How long a minute item is kept: DynamoDB deletes it (TTL) this long after its minute. */
export const FIRE_STATS_KEEP_MS = 2 * 24 * 3600_000;
const EXPIRES_ATTR = "expires";

/**
 * `<prefix>fire_stats`: one item per tenant and minute (key `tenant` +
 * `minute`, the minute's first instant in ms), with the counts as numbers
 * that workers ADD to: `fires`, `retries`, `lsum` (lateness sum, ms) and
 * `b0`… (the lateness buckets). `expires` (epoch seconds) is the TTL
 * attribute. An hour of a tenant is one Query of at most 60 small items.
 */
export function createDynamoFireStatsStore(options: {
  client: DynamoDBClient;
  table: string;
}): FireStatsStore {
  const { client, table } = options;
  return {
    async init() {
      await createIfMissing(client, {
        TableName: table,
        KeySchema: [
          { AttributeName: "tenant", KeyType: "HASH" },
          { AttributeName: "minute", KeyType: "RANGE" },
        ],
        AttributeDefinitions: attrs({ tenant: "S", minute: "N" }),
      });
      // Best effort: counts past their minute are never read, expired or not.
      await enableTtl(client, table, EXPIRES_ATTR).catch(() => {});
    },

    async add(delta: FireStatsDelta) {
      const { counts } = delta;
      const values: Item = { ":e": n(Math.floor((delta.minuteMs + FIRE_STATS_KEEP_MS) / 1000)) };
      const adds: string[] = [];
      const add = (attr: string, value: number) => {
        if (value === 0) return;
        adds.push(`${attr} :${attr}`);
        values[`:${attr}`] = n(value);
      };
      add("fires", counts.fires);
      add("retries", counts.retries);
      add("lsum", counts.latenessSumMs);
      for (const [i, value] of counts.buckets.entries()) add(`b${i}`, value);
      if (adds.length === 0) return;
      await dynamo(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { tenant: s(delta.tenant), minute: n(delta.minuteMs) },
            UpdateExpression: `SET ${EXPIRES_ATTR} = :e ADD ${adds.join(", ")}`,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },

    async read(tenant, fromMinuteMs, toMinuteMs) {
      const byMinute = new Map<number, FireCounts>();
      let startKey: Item | undefined;
      do {
        const out: QueryCommandOutput = await dynamo(() =>
          client.send(
            new QueryCommand({
              TableName: table,
              // MINUTE is a reserved word.
              KeyConditionExpression: "tenant = :t AND #m BETWEEN :from AND :to",
              ExpressionAttributeNames: { "#m": "minute" },
              ExpressionAttributeValues: {
                ":t": s(tenant),
                ":from": n(fromMinuteMs),
                ":to": n(toMinuteMs),
              },
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of out.Items ?? [])
          byMinute.set(num(item, "minute") ?? 0, itemToCounts(item));
        startKey = out.LastEvaluatedKey;
      } while (startKey);
      return byMinute;
    },
  };
}

function itemToCounts(item: Item): FireCounts {
  const counts = emptyCounts();
  counts.fires = num(item, "fires") ?? 0;
  counts.retries = num(item, "retries") ?? 0;
  counts.latenessSumMs = num(item, "lsum") ?? 0;
  counts.buckets = counts.buckets.map((_, i) => num(item, `b${i}`) ?? 0);
  return counts;
}
