import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { aborted, alreadyExists, notFound } from "../../core/errors.js";
import type { CalendarStore } from "../../core/ports/calendar-store.js";
import type { Calendar } from "../../core/time-policy.js";
import { dynamo } from "./calls.js";
import type { TableNames } from "./client.js";
import { type Item, n, num, s, str } from "./job-item.js";
import { keyInTenant, tenantClause, tenantItem, tenantKey, visible } from "./tenant.js";

/**
 * Calendar item layout in the calendars table (key `name`, which is the
 * calendar's name for the `default` tenant and `<tenant>/<name>` for the
 * others, see `tenantKey`): tenant, descr, dates (L of S, `YYYY-MM-DD`),
 * wdays (L of N, 0 = Sunday), v, created, updated. Lists rather than sets: a
 * calendar may have no excluded dates. Calendars written before tenancy have
 * the bare name and no tenant: `default`'s, where that tenant looks.
 */
function toItem(tenant: string, c: Calendar): Item {
  return {
    name: s(tenantKey(tenant, c.name)),
    ...tenantItem(tenant),
    descr: s(c.description),
    dates: { L: c.excludedDates.map(s) },
    wdays: { L: c.excludedWeekdays.map(n) },
    v: n(c.version),
    created: n(c.createdMs),
    updated: n(c.updatedMs),
  };
}

function fromItem(item: Item): Calendar {
  return {
    name: keyInTenant(str(item, "name")!),
    description: str(item, "descr") ?? "",
    excludedDates: (item.dates?.L ?? []).map((d) => d.S ?? ""),
    excludedWeekdays: (item.wdays?.L ?? []).map((d) => Number(d.N)),
    version: num(item, "v") ?? 1,
    createdMs: num(item, "created") ?? 0,
    updatedMs: num(item, "updated") ?? 0,
  };
}

const key = (tenant: string, name: string): Item => ({ name: s(tenantKey(tenant, name)) });

/** Named calendars in their own DynamoDB table, named per tenant. */
export function createDynamoCalendarStore(options: {
  client: DynamoDBClient;
  tables: TableNames;
}): CalendarStore {
  const { client } = options;
  const table = options.tables.calendars;

  return {
    async createCalendar(tenant, calendar) {
      try {
        await dynamo(() =>
          client.send(
            new PutItemCommand({
              TableName: table,
              Item: toItem(tenant, calendar),
              ConditionExpression: "attribute_not_exists(#name)",
              ExpressionAttributeNames: { "#name": "name" },
            }),
          ),
        );
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) {
          throw alreadyExists(`calendar ${calendar.name}`);
        }
        throw err;
      }
    },

    async getCalendar(tenant, name) {
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({ TableName: table, Key: key(tenant, name), ConsistentRead: true }),
        ),
      );
      return visible(out.Item, tenant) ? fromItem(out.Item) : undefined;
    },

    async listCalendars(tenant) {
      const calendars: Calendar[] = [];
      let startKey: Item | undefined;
      const names: Record<string, string> = {};
      const values: Item = {};
      const filter = tenantClause(tenant, names, values);
      do {
        const out = await dynamo(() =>
          client.send(
            new ScanCommand({
              TableName: table,
              FilterExpression: filter,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of out.Items ?? []) calendars.push(fromItem(item));
        startKey = out.LastEvaluatedKey;
      } while (startKey);
      return calendars.sort((a, b) => a.name.localeCompare(b.name));
    },

    async updateCalendar(tenant, name, change, expectedVersion, nowMs) {
      const set = ["v = v + :one", "updated = :now"];
      const values: Item = { ":one": n(1), ":now": n(nowMs) };
      if (change.description !== undefined) {
        set.push("descr = :d");
        values[":d"] = s(change.description);
      }
      if (change.excludedDates !== undefined) {
        set.push("dates = :dates");
        values[":dates"] = { L: change.excludedDates.map(s) };
      }
      if (change.excludedWeekdays !== undefined) {
        set.push("wdays = :w");
        values[":w"] = { L: change.excludedWeekdays.map(n) };
      }
      let condition = "attribute_exists(#name)";
      if (expectedVersion !== undefined) {
        condition += " AND v = :ev";
        values[":ev"] = n(expectedVersion);
      }
      try {
        const out = await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: key(tenant, name),
              UpdateExpression: `SET ${set.join(", ")}`,
              ConditionExpression: condition,
              ExpressionAttributeNames: { "#name": "name" },
              ExpressionAttributeValues: values,
              ReturnValues: "ALL_NEW",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          ),
        );
        return fromItem(out.Attributes!);
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        if (!err.Item) throw notFound(`calendar ${name}`);
        throw aborted(
          `calendar ${name} is at version ${num(err.Item, "v")}, not ${expectedVersion}`,
        );
      }
    },

    async deleteCalendar(tenant, name) {
      try {
        await dynamo(() =>
          client.send(
            new DeleteItemCommand({
              TableName: table,
              Key: key(tenant, name),
              ConditionExpression: "attribute_exists(#name)",
              ExpressionAttributeNames: { "#name": "name" },
            }),
          ),
        );
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) throw notFound(`calendar ${name}`);
        throw err;
      }
    },

    async isReferenced(tenant, name) {
      // The schedule is stored as JSON with the calendar as {"name":..,"mode":..}:
      // a scan with a filter on it. Deletes are rare; this costs one pass over the jobs.
      // Only the tenant's jobs count: another tenant's "holidays" is another calendar.
      let startKey: Item | undefined;
      const names: Record<string, string> = { "#st": "st" };
      const values: Item = {
        ":needle": s(`"calendar":{"name":${JSON.stringify(name)},`),
        ":cancelled": s("CANCELLED"),
      };
      const inTenant = tenantClause(tenant, names, values);
      do {
        const out = await dynamo(() =>
          client.send(
            new ScanCommand({
              TableName: options.tables.jobs,
              FilterExpression: `contains(sched, :needle) AND #st <> :cancelled AND ${inTenant}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ProjectionExpression: "id",
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        if ((out.Items ?? []).length > 0) return true;
        startKey = out.LastEvaluatedKey;
      } while (startKey);
      return false;
    },
  };
}
