import {
  type DynamoDBClient,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { systemClock } from "../../core/clock.js";
import { unavailable } from "../../core/errors.js";
import type { SlotChange } from "../../core/ports/job-store.js";
import { type RetrySchedule, retry } from "../../core/retry.js";
import { activeSchedulesExhausted } from "../../core/tenant-quota.js";
import { dynamo } from "./calls.js";
import { type Item, n, num, s } from "./job-item.js";
import { SLOT_ATTR, SLOT_END_ATTR } from "./quota-index.js";

/*
 * Active-schedule slots in DynamoDB. The tenant's record (tenants table,
 * key tenant + rec "quota") holds `active`, the number of slots taken, and
 * the quotas an admin set (`q_sched`, `q_fpm`, `q_conc`; absent: the default). A job holding a slot carries `qc` (its tenant) and `qend`
 * (see quota-index.ts). Taking or giving back a slot is one transaction of
 * the job's write and an update of `active`: the take is conditional on a
 * free slot, so concurrent creates never overshoot the quota.
 */

export const QUOTA_REC = "quota";

/** The tenant record's attribute of each quota an admin may set. */
export const QUOTA_ATTRS = {
  maxActiveSchedules: "q_sched",
  maxFiresPerMinute: "q_fpm",
  maxConcurrentRuns: "q_conc",
} as const;

export function quotaKey(tenant: string): Item {
  return { tenant: s(tenant), rec: s(QUOTA_REC) };
}

/**
 * The update of the tenant's counter that goes with a job's slot change:
 * a take adds one if a slot is free (the tenant's own quota, else
 * `defaultLimit`; 0 is unlimited), a free gives back `count` (jobs freed
 * together).
 */
export function counterAction(
  tenantsTable: string,
  tenant: string,
  change: Extract<SlotChange, { kind: "take" | "free" }>,
  count = 1,
): TransactWriteItem {
  const values: Item = { ":d": n(change.kind === "take" ? 1 : -count) };
  const update = {
    TableName: tenantsTable,
    Key: quotaKey(tenant),
    UpdateExpression: "ADD active :d",
  };
  if (change.kind === "free") return { Update: { ...update, ExpressionAttributeValues: values } };
  values[":zero"] = n(0);
  const own = `attribute_exists(${QUOTA_ATTRS.maxActiveSchedules}) AND (${QUOTA_ATTRS.maxActiveSchedules} = :zero OR active < ${QUOTA_ATTRS.maxActiveSchedules})`;
  let byDefault = `attribute_not_exists(${QUOTA_ATTRS.maxActiveSchedules})`;
  if (change.defaultLimit > 0) {
    values[":def"] = n(change.defaultLimit);
    byDefault += " AND active < :def";
  }
  return {
    Update: {
      ...update,
      ConditionExpression: `attribute_not_exists(active) OR (${own}) OR (${byDefault})`,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    },
  };
}

/**
 * What a job's write adds for its slot change: attributes to set or remove
 * and the condition that the job holds a slot (keep, free) or not (take).
 */
export function jobSlotClauses(
  tenant: string,
  change: SlotChange,
  values: Item,
): { set: string[]; remove: string[]; condition: string } {
  if (change.kind === "free") {
    return {
      set: [],
      remove: [SLOT_ATTR, SLOT_END_ATTR],
      condition: `attribute_exists(${SLOT_ATTR})`,
    };
  }
  values[":qend"] = n(change.untilMs);
  if (change.kind === "keep") {
    return {
      set: [`${SLOT_END_ATTR} = :qend`],
      remove: [],
      condition: `attribute_exists(${SLOT_ATTR})`,
    };
  }
  values[":qc"] = s(tenant);
  return {
    set: [`${SLOT_ATTR} = :qc`, `${SLOT_END_ATTR} = :qend`],
    remove: [],
    condition: `attribute_not_exists(${SLOT_ATTR})`,
  };
}

/** The slot attributes of a job created holding one. */
export function slotItem(tenant: string, untilMs: number): Item {
  return { [SLOT_ATTR]: s(tenant), [SLOT_END_ATTR]: n(untilMs) };
}

/**
 * Concurrent writes of one item (a tenant's slot counter, an idempotency
 * key) cancel each other as TransactionConflict. Nine tries, full jitter
 * from 10 ms doubling up to 320 ms: conflicting writers spread out.
 */
const CONFLICT_RETRIES: RetrySchedule = { attempts: 9, baseMs: 10, maxMs: 320, jitter: 1 };

/**
 * Writes `actions` in one transaction, again while it only conflicts with
 * other transactions on the same items. Resolves with undefined once
 * written; with the cancellation reasons (and each refused action's old item)
 * when a condition failed.
 */
export async function transactSlots(
  client: DynamoDBClient,
  actions: TransactWriteItem[],
): Promise<Array<{ code: string; item?: Item }> | undefined> {
  const once = async () => {
    try {
      await dynamo(() => client.send(new TransactWriteItemsCommand({ TransactItems: actions })));
      return undefined;
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = (err.CancellationReasons ?? []).map((r) => ({
        code: r.Code ?? "None",
        ...(r.Item ? { item: r.Item } : {}),
      }));
      if (reasons.some((r) => r.code === "ConditionalCheckFailed")) return reasons;
      throw err;
    }
  };
  // Thrown on: a cancellation that is only a conflict.
  return retry(CONFLICT_RETRIES, once, systemClock, {
    retryable: (err) => err instanceof TransactionCanceledException,
  }).catch((err: unknown) => {
    throw err instanceof TransactionCanceledException ? unavailable("DynamoDB", err) : err;
  });
}

/** The resource_exhausted of a refused take, from the tenant record as it was. */
export function exhausted(tenant: string, old: Item | undefined, defaultLimit: number) {
  const use = num(old ?? {}, "active") ?? 0;
  const limit = num(old ?? {}, QUOTA_ATTRS.maxActiveSchedules) ?? defaultLimit;
  return activeSchedulesExhausted(tenant, use, limit);
}
