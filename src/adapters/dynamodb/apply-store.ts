/**
 * ApplyJobs' namespace records in DynamoDB (`ports/apply-store.ts`): one item
 * per tenant and namespace in the jobs table, under
 * `applyns#<sha256(tenant)>#<namespace>`, with `gen` (the generation), and
 * while an apply writes, `holder` and `until` (its lease). Starting an apply
 * is one conditional update, so of two applies that read one generation only
 * one starts. ListJobs scans only `job_` ids, so no listing sees the record.
 */

import { createHash } from "node:crypto";
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import type { ApplyStore } from "../../core/ports/apply-store.js";
import { dynamo } from "./calls.js";
import { getJobByExternalKey } from "./external-key.js";
import { n, num, s } from "./job-item.js";

function namespaceId(tenant: string, namespace: string): string {
  return `applyns#${createHash("sha256").update(tenant).digest("hex").slice(0, 32)}#${namespace}`;
}

export function createDynamoApplyStore(client: DynamoDBClient, table: string): ApplyStore {
  /** A conditional update of the namespace's record: false when its condition failed. */
  async function updateIf(
    tenant: string,
    namespace: string,
    update: Omit<UpdateItemCommandInput, "TableName" | "Key">,
  ): Promise<boolean> {
    try {
      const key = { id: s(namespaceId(tenant, namespace)) };
      await dynamo(() =>
        client.send(new UpdateItemCommand({ TableName: table, Key: key, ...update })),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  return {
    getJobByExternalKey: (tenant, key) => getJobByExternalKey(client, table, tenant, key),

    async applyGeneration(tenant, namespace) {
      const out = await dynamo(() =>
        client.send(
          new GetItemCommand({
            TableName: table,
            Key: { id: s(namespaceId(tenant, namespace)) },
            ConsistentRead: true,
          }),
        ),
      );
      return (out.Item && num(out.Item, "gen")) ?? 0;
    },

    beginApply(tenant, namespace, start) {
      const atGeneration =
        start.generation === 0 ? "(attribute_not_exists(#gen) OR #gen = :g)" : "#gen = :g";
      return updateIf(tenant, namespace, {
        UpdateExpression: "SET #gen = :next, #holder = :token, #until = :until, #tenant = :tenant",
        ConditionExpression: `${atGeneration} AND (attribute_not_exists(#holder) OR #until <= :now)`,
        ExpressionAttributeNames: {
          "#gen": "gen",
          "#holder": "holder",
          "#until": "until",
          "#tenant": "tenant",
        },
        ExpressionAttributeValues: {
          ":g": n(start.generation),
          ":next": n(start.generation + 1),
          ":token": s(start.token),
          ":until": n(start.untilMs),
          ":now": n(start.nowMs),
          ":tenant": s(tenant),
        },
      });
    },

    async endApply(tenant, namespace, token) {
      // False when its lease had ended and another apply took it: nothing to give back.
      await updateIf(tenant, namespace, {
        UpdateExpression: "REMOVE #holder, #until",
        ConditionExpression: "#holder = :token",
        ExpressionAttributeNames: { "#holder": "holder", "#until": "until" },
        ExpressionAttributeValues: { ":token": s(token) },
      });
    },
  };
}
