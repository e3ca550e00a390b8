import {
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
  type TransactWriteItem,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Page } from "../../core/ports/job-store.js";
import type { TenantStore } from "../../core/ports/tenant-store.js";
import { QUOTA_NAMES, type TenantQuotas, type TenantRecord } from "../../core/tenant-quota.js";
import { counterAction, QUOTA_ATTRS, QUOTA_REC, quotaKey, transactSlots } from "./active-slots.js";
import { batchGet, dynamo } from "./calls.js";
import type { TableNames } from "./client.js";
import { decodeToken, type Item, n, num, s, str, toPage } from "./job-item.js";
import { QUOTA_INDEX, SLOT_ATTR, SLOT_END_ATTR } from "./quota-index.js";

/*
 * Tenants table (key tenant + rec): rec "quota" is the tenant's record
 * (`active`, the quotas set for it, `updated`). The range key leaves room
 * for more records per tenant.
 */

/** A transaction holds at most 100 actions: 99 jobs and the tenant's counter. */
const FREE_BATCH = 99;

function toRecord(item: Item): TenantRecord {
  const custom: Partial<TenantQuotas> = {};
  for (const name of QUOTA_NAMES) {
    const v = num(item, QUOTA_ATTRS[name]);
    if (v !== undefined) custom[name] = v;
  }
  const record: TenantRecord = {
    tenant: str(item, "tenant")!,
    custom,
    // A slot given back twice cannot happen (each job's give-back is
    // conditional on its own slot), but never show a negative count.
    activeSchedules: Math.max(0, num(item, "active") ?? 0),
  };
  const updated = num(item, "updated");
  if (updated !== undefined) record.updatedMs = updated;
  return record;
}

export function createDynamoTenantStore(options: {
  client: DynamoDBClient;
  tables: TableNames;
}): TenantStore {
  const { client, tables } = options;
  const table = tables.tenants;

  /** Gives back the slots of these jobs, conditional on each still holding one and not being ACTIVE. */
  async function free(tenant: string, ids: string[]): Promise<number> {
    const release = (id: string): TransactWriteItem => ({
      Update: {
        TableName: tables.jobs,
        Key: { id: s(id) },
        UpdateExpression: `REMOVE ${SLOT_ATTR}, ${SLOT_END_ATTR}`,
        ConditionExpression: `attribute_exists(${SLOT_ATTR}) AND #st <> :active`,
        ExpressionAttributeNames: { "#st": "st" },
        ExpressionAttributeValues: { ":active": s("ACTIVE") },
      },
    });
    const counter = (k: number) => counterAction(table, tenant, { kind: "free" }, k);
    if (ids.length === 0) return 0;
    const refused = await transactSlots(client, [...ids.map(release), counter(ids.length)]);
    if (!refused) return ids.length;
    // One job changed meanwhile (reactivated, or freed by another call):
    // give the others back one at a time.
    let freed = 0;
    for (const id of ids) {
      if (!(await transactSlots(client, [release(id), counter(1)]))) freed++;
    }
    return freed;
  }

  return {
    async get(tenant) {
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({ TableName: table, Key: quotaKey(tenant), ConsistentRead: true }),
        ),
      );
      return out.Item ? toRecord(out.Item) : undefined;
    },

    async list(pageSize, pageToken) {
      const items: TenantRecord[] = [];
      let startKey = decodeToken(pageToken);
      do {
        const out = await dynamo(() =>
          client.send(
            new ScanCommand({
              TableName: table,
              FilterExpression: "rec = :quota",
              ExpressionAttributeValues: { ":quota": s(QUOTA_REC) },
              ExclusiveStartKey: startKey,
              Limit: pageSize - items.length,
            }),
          ),
        );
        items.push(...(out.Items ?? []).map(toRecord));
        startKey = out.LastEvaluatedKey;
      } while (startKey && items.length < pageSize);
      return toPage(items, startKey) as Page<TenantRecord>;
    },

    async setQuotas(tenant, change, nowMs) {
      const set = ["updated = :now"];
      const remove: string[] = [];
      const values: Item = { ":now": n(nowMs) };
      for (const name of QUOTA_NAMES) {
        const v = change[name];
        if (v === undefined) continue;
        if (v === null) remove.push(QUOTA_ATTRS[name]);
        else {
          set.push(`${QUOTA_ATTRS[name]} = :${name}`);
          values[`:${name}`] = n(v);
        }
      }
      const out = await dynamo(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: quotaKey(tenant),
            UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
            ExpressionAttributeValues: values,
            ReturnValues: "ALL_NEW",
          }),
        ),
      );
      return toRecord(out.Attributes!);
    },

    async freeFinished(tenant, nowMs) {
      let freed = 0;
      let startKey: Item | undefined;
      do {
        const out = await dynamo(() =>
          client.send(
            new QueryCommand({
              TableName: tables.jobs,
              IndexName: QUOTA_INDEX,
              KeyConditionExpression: `${SLOT_ATTR} = :t AND ${SLOT_END_ATTR} <= :now`,
              ExpressionAttributeValues: { ":t": s(tenant), ":now": n(nowMs) },
              ExclusiveStartKey: startKey,
              Limit: FREE_BATCH,
            }),
          ),
        );
        startKey = out.LastEvaluatedKey;
        const keys = (out.Items ?? []).map((k) => ({ id: k.id! }));
        // The index is eventually consistent and holds keys only: read each
        // job's state, consistently.
        const jobs = await batchGet(client, tables.jobs, keys, (i) => i.id?.S ?? "", "id, st, qc");
        const finished = jobs.filter((j) => j[SLOT_ATTR] && str(j, "st") !== "ACTIVE");
        freed += await free(
          tenant,
          finished.map((j) => str(j, "id")!),
        );
      } while (startKey);
      return freed;
    },
  };
}
