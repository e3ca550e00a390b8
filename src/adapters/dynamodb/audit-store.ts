import { type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { AuditEvent, AuditQuery } from "../../core/audit.js";
import { invalidArgument, unavailable } from "../../core/errors.js";
import type { AuditStore } from "../../core/ports/audit-store.js";
import type { Page } from "../../core/ports/job-store.js";
import { auditToItem, dayOf, isRangeKey, itemToAudit, rangeKey } from "./audit-item.js";
import { DAY_INDEX, ensureAuditTable } from "./audit-table.js";
import { batchPut } from "./batch-write.js";
import { dynamo } from "./calls.js";
import type { TableNames } from "./client.js";
import type { Item } from "./job-item.js";

/**
 * The writes of a batch of events: one BatchWriteItem at a time, its items
 * left unprocessed (throttling) sent again for up to 5 rounds. The store
 * unavailable fails the batch at once: the writer counts it lost (its log
 * lines hold it) rather than let the queue back up behind an outage.
 */
const WRITES = {
  concurrency: 1,
  attempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 1_600,
  retryUnavailable: false,
};
/**
 * What one page may read, so that a filter matching few events (or many empty
 * days) answers in bounded time: a partial page with a token to go on.
 */
const MAX_QUERIES_PER_PAGE = 50;
const MAX_SCANNED_PER_PAGE = 5_000;
/** Items a filtered Query reads at once (the filter applies after the limit). */
const FILTERED_LIMIT = 200;
const DAY_MS = 86_400_000;

/**
 * Where a listing stopped: the hash being read (a tenant, or a day of the
 * `by_day` index), and the range key (with the item's tenant, on the index)
 * of the last event returned; no range key: the start of that hash.
 */
interface Position {
  h: string;
  a?: string;
  t?: string;
}

function encodeToken(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

function decodeToken(token: string | undefined, hashes: string[], byDay: boolean): Position {
  if (!token) return { h: hashes[0]! };
  let p: Partial<Position> | undefined;
  try {
    p = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<Position>;
  } catch {
    // reported below
  }
  const ok =
    p !== undefined &&
    p !== null &&
    typeof p.h === "string" &&
    hashes.includes(p.h) &&
    (p.a === undefined || (isRangeKey(p.a) && (!byDay || typeof p.t === "string")));
  if (!ok) throw invalidArgument("page_token", "not a token returned by this listing");
  return p as Position;
}

/** The UTC days of `[fromMs, toMs)`, newest first. */
function daysDescending(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  const first = Date.parse(dayOf(fromMs));
  for (let t = Date.parse(dayOf(toMs - 1)); t >= first; t -= DAY_MS) days.push(dayOf(t));
  return days;
}

/** The filter expression of a query's filters; undefined when it has none. */
function filterOf(q: AuditQuery): { expr?: string; names: Record<string, string>; values: Item } {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Item = {};
  const equal = (attr: string, value: string | undefined) => {
    if (value === undefined) return;
    names[`#${attr}`] = attr;
    values[`:${attr}`] = { S: value };
    parts.push(`#${attr} = :${attr}`);
  };
  equal("svc", q.service);
  equal("m", q.method);
  equal("sub", q.subject);
  if (q.resourceId !== undefined) {
    names["#ids"] = "ids";
    values[":rid"] = { S: q.resourceId };
    parts.push("contains(#ids, :rid)");
  }
  return parts.length > 0 ? { expr: parts.join(" AND "), names, values } : { names, values };
}

/**
 * Audit events in their own table, kept `retentionDays` (TTL). A tenant's
 * listing is one Query of its hash, newest first; a listing of every tenant
 * queries the `by_day` index a day at a time, newest day first.
 */
export function createDynamoAuditStore(options: {
  client: DynamoDBClient;
  tables: TableNames;
  retentionDays: number;
}): AuditStore {
  const { client } = options;
  const table = options.tables.audit;
  const retentionS = options.retentionDays * 86_400;

  return {
    init: () => dynamo(() => ensureAuditTable(client, table)),

    async putEvents(events) {
      const left = await batchPut(
        client,
        table,
        events.map((e) => auditToItem(e, retentionS)),
        WRITES,
      );
      if (left.length > 0) {
        throw unavailable("DynamoDB", new Error(`${left.length} audit events left unwritten`));
      }
    },

    async listEvents(q): Promise<Page<AuditEvent>> {
      const byDay = q.tenant === undefined;
      const hashes = byDay ? daysDescending(q.fromMs, q.toMs) : [q.tenant!];
      if (hashes.length === 0) return { items: [] };
      const start = decodeToken(q.pageToken, hashes, byDay);
      const filter = filterOf(q);
      const items: AuditEvent[] = [];
      let queries = 0;
      let scanned = 0;
      for (let i = hashes.indexOf(start.h); i < hashes.length; i++) {
        const h = hashes[i]!;
        let startKey: Item | undefined;
        if (h === start.h && start.a !== undefined) {
          startKey = byDay
            ? { day: { S: h }, at: { S: start.a }, tenant: { S: start.t! } }
            : { tenant: { S: h }, at: { S: start.a } };
        }
        do {
          if (queries >= MAX_QUERIES_PER_PAGE || scanned >= MAX_SCANNED_PER_PAGE) {
            const at = startKey?.at?.S;
            const t = startKey?.tenant?.S;
            return {
              items,
              nextToken: encodeToken(at ? { h, a: at, ...(byDay ? { t } : {}) } : { h }),
            };
          }
          const remaining = q.pageSize - items.length;
          const out = await dynamo(() =>
            client.send(
              new QueryCommand({
                TableName: table,
                ...(byDay ? { IndexName: DAY_INDEX } : {}),
                KeyConditionExpression: "#h = :h AND #at BETWEEN :lo AND :hi",
                ...(filter.expr ? { FilterExpression: filter.expr } : {}),
                ExpressionAttributeNames: {
                  ...filter.names,
                  "#h": byDay ? "day" : "tenant",
                  "#at": "at",
                },
                ExpressionAttributeValues: {
                  ...filter.values,
                  ":h": { S: h },
                  // An event at `toMs` sorts after rangeKey(toMs): the end is exclusive.
                  ":lo": { S: rangeKey(q.fromMs) },
                  ":hi": { S: rangeKey(q.toMs) },
                },
                ScanIndexForward: false,
                Limit: filter.expr ? Math.max(remaining, FILTERED_LIMIT) : remaining,
                ExclusiveStartKey: startKey,
              }),
            ),
          );
          queries++;
          scanned += out.ScannedCount ?? 0;
          const found = out.Items ?? [];
          for (let j = 0; j < found.length; j++) {
            const item = found[j]!;
            items.push(itemToAudit(item));
            if (items.length < q.pageSize) continue;
            const more =
              j < found.length - 1 || out.LastEvaluatedKey !== undefined || i < hashes.length - 1;
            if (!more) return { items };
            const position: Position = { h, a: item.at!.S! };
            if (byDay) position.t = item.tenant!.S!;
            return { items, nextToken: encodeToken(position) };
          }
          startKey = out.LastEvaluatedKey;
        } while (startKey);
      }
      return { items };
    },
  };
}
