import { type DynamoDBClient, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { Job } from "../../core/job.js";
import type { JobQuery, Page } from "../../core/ports/job-store.js";
import { batchGet, dynamo } from "./calls.js";
import { decodeToken, type Item, itemToJob, s, toPage } from "./job-item.js";
import { OWNER_INDEX } from "./tables.js";
import { tenantClause, visible } from "./tenant.js";

/**
 * ListJobs: a scan of `job_` ids, or a query of the owner index, filtered to
 * the tenant (and status, tag, name and never-run) on every page, so a page token is only a
 * position and one from another tenant's listing shows nothing of that
 * tenant. A filter applies after the page limit: pages are read until full.
 */
export async function listJobs(
  client: DynamoDBClient,
  table: string,
  tenant: string,
  query: JobQuery,
): Promise<Page<Job>> {
  const names: Record<string, string> = {};
  const values: Item = { ":prefix": s("job_") };
  // Every page is filtered to the tenant: a token is only a position, so
  // one from another tenant's listing shows nothing of that tenant.
  const filters: string[] = ["begins_with(id, :prefix)", tenantClause(tenant, names, values)];
  if (query.status) {
    filters.push("#st = :st");
    names["#st"] = "st";
    values[":st"] = s(query.status);
  }
  if (query.tag) {
    filters.push("contains(tags, :tag)");
    values[":tag"] = s(query.tag);
  }
  if (query.nameContains) {
    filters.push("contains(#name, :name)");
    names["#name"] = "name";
    values[":name"] = s(query.nameContains);
  }
  if (query.neverRun) filters.push("attribute_not_exists(last_run)");
  if (query.externalKey !== undefined) {
    filters.push("xkey = :xkey");
    values[":xkey"] = s(query.externalKey);
  }
  if (query.applyNamespace !== undefined) {
    filters.push("ans = :ans");
    values[":ans"] = s(query.applyNamespace);
  }
  let startKey = decodeToken(query.pageToken);
  const items: Job[] = [];
  // A filter applies after the page limit, so keep reading until the page is full.
  do {
    const limit = query.pageSize - items.length;
    if (query.owner) {
      // The owner index holds keys only: read the items, then filter here.
      const out = await dynamo(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: OWNER_INDEX,
            KeyConditionExpression: "#owner = :owner",
            ExpressionAttributeNames: { "#owner": "owner" },
            ExpressionAttributeValues: { ":owner": s(query.owner!) },
            ScanIndexForward: false,
            ExclusiveStartKey: startKey,
            Limit: limit,
          }),
        ),
      );
      const full = await batchGet(
        client,
        table,
        (out.Items ?? []).map((k) => ({ id: k.id! })),
        (item) => item.id?.S ?? "",
      );
      for (const job of full.filter((item) => visible(item, tenant)).map(itemToJob)) {
        if (query.status && job.status !== query.status) continue;
        if (query.tag && !job.tags.includes(query.tag)) continue;
        if (query.nameContains && !job.name.includes(query.nameContains)) continue;
        if (query.neverRun && job.lastRunMs !== undefined) continue;
        if (query.externalKey !== undefined && job.externalKey !== query.externalKey) continue;
        if (query.applyNamespace !== undefined && job.applyNamespace !== query.applyNamespace)
          continue;
        items.push(job);
      }
      startKey = out.LastEvaluatedKey;
    } else {
      const out = await dynamo(() =>
        client.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: filters.join(" AND "),
            ExpressionAttributeValues: values,
            ExpressionAttributeNames: names,
            ExclusiveStartKey: startKey,
            Limit: limit,
          }),
        ),
      );
      for (const item of out.Items ?? []) items.push(itemToJob(item));
      startKey = out.LastEvaluatedKey;
    }
  } while (startKey && items.length < query.pageSize);
  return toPage(items, startKey);
}
