import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { attrs, createIfMissing, gsi } from "./tables.js";
import { enableTtl } from "./ttl.js";

/**
 * GSI of every tenant's events by UTC day: what an admin's listing across
 * tenants queries, a day at a time, newest first. A day bucket rather than a
 * constant hash, so that no key collects more than a day of events; a scan
 * would read the whole table (90 days of every tenant) for each page and
 * could not list newest first. The catch: all of one day's events go to one
 * index partition, whose writes AWS caps at 1,000 per second; past that the
 * audit writes of that second are throttled (they are best effort, counted
 * as lost), never the calls themselves.
 */
export const DAY_INDEX = "by_day";

/** The audit table's TTL attribute: epoch seconds, the event's time plus the retention. */
export const AUDIT_TTL_ATTRIBUTE = "expires_at";

/**
 * Creates the audit table when missing (hash `tenant`, range `at` =
 * `<15-digit ms>#<ULID>`, so that one Query lists a tenant's events in a time
 * range newest first; the `by_day` index projects every attribute), and
 * turns TTL on.
 */
export async function ensureAuditTable(client: DynamoDBClient, table: string): Promise<void> {
  await createIfMissing(client, {
    TableName: table,
    KeySchema: [
      { AttributeName: "tenant", KeyType: "HASH" },
      { AttributeName: "at", KeyType: "RANGE" },
    ],
    AttributeDefinitions: attrs({ tenant: "S", at: "S", day: "S" }),
    GlobalSecondaryIndexes: [
      { ...gsi(DAY_INDEX, "day", "at", "keys"), Projection: { ProjectionType: "ALL" } },
    ],
  });
  await enableTtl(client, table, AUDIT_TTL_ATTRIBUTE);
}
