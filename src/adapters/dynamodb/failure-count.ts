import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Job } from "../../core/job.js";
import type { JobStore } from "../../core/ports/job-store.js";
import { dynamo } from "./calls.js";
import { type Item, itemToJob, n, s, str } from "./job-item.js";
import { tenantClause, visible } from "./tenant.js";

/**
 * The job item's count of failed runs in a row (`cf`) and its failing mark
 * (`cfl`: the execution counted last, set from a failure to the next
 * success; ResumeJob sets the count to 0 but leaves the mark, so that the
 * next success still recovers), as workers change them after a run's final
 * outcome: one UpdateItem, only when the count changes (a failure, or the
 * first success after failures), never a version change (it is no change of
 * the job's definition, and an UpdateJob at an expected version must not
 * lose to it). The item comes back with the write (`ReturnValues`: no read
 * of its own).
 */
export function createFailureCount(
  client: DynamoDBClient,
  table: string,
): Pick<JobStore, "countFailure" | "clearFailures"> {
  /** The write; on a refused condition, the item as it was (or undefined). */
  async function update(
    tenant: string,
    id: string,
    write: {
      expression: string;
      condition?: string;
      values: Item;
      returned: "ALL_NEW" | "ALL_OLD";
    },
  ): Promise<{ item?: Item; refused?: Item }> {
    const names: Record<string, string> = { "#st": "st" };
    const values: Item = { ...write.values, ":cancelled": s("CANCELLED") };
    const conditions = [
      // Never creates an item: a deleted job stays deleted.
      "attribute_exists(id)",
      "#st <> :cancelled",
      tenantClause(tenant, names, values),
      ...(write.condition ? [write.condition] : []),
    ];
    try {
      const out = await dynamo(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { id: s(id) },
            UpdateExpression: write.expression,
            ConditionExpression: conditions.join(" AND "),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: write.returned,
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      return out.Attributes ? { item: out.Attributes } : {};
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException)
        return err.Item ? { refused: err.Item } : {};
      throw err;
    }
  }

  return {
    async countFailure(tenant, id, executionId) {
      const { item, refused } = await update(tenant, id, {
        expression: "ADD cf :one SET cfl = :exec",
        // Each execution once: a retry of a write that was applied counts nothing.
        condition: "(attribute_not_exists(cfl) OR cfl <> :exec)",
        values: { ":one": n(1), ":exec": s(executionId) },
        returned: "ALL_NEW",
      });
      if (item) return itemToJob(item);
      // Refused because this execution was counted already: the job as it is.
      const counted =
        visible(refused, tenant) &&
        str(refused, "cfl") === executionId &&
        str(refused, "st") !== "CANCELLED";
      return counted ? itemToJob(refused) : undefined;
    },

    async clearFailures(tenant, id): Promise<Job | undefined> {
      // Conditional on the failing mark: of two successes after the same
      // failures, one recovers (and notifies), the other writes nothing.
      const { item } = await update(tenant, id, {
        expression: "REMOVE cf, cfl",
        condition: "attribute_exists(cfl)",
        values: {},
        returned: "ALL_OLD",
      });
      return item ? itemToJob(item) : undefined;
    },
  };
}
