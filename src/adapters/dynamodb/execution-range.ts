import { type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { Execution } from "../../core/execution.js";
import type { TenantScope } from "../../core/tenant.js";
import { dynamo } from "./calls.js";
import { itemToExecution, runKey } from "./execution-item.js";
import type { Item } from "./job-item.js";
import { s } from "./job-item.js";
import { visible } from "./tenant.js";

/**
 * `ExecutionStore.executionsBetween` in DynamoDB: one Query on the
 * executions table's key (job_id, then `run` = zero-padded scheduled ms and
 * attempt, so a range of scheduled times is a range of the sort key), read
 * page after page up to `limit` items. Another tenant's items are dropped
 * here, as `listExecutions` does.
 */
export async function executionsBetween(
  client: DynamoDBClient,
  table: string,
  request: { scope: TenantScope; jobId: string; fromMs: number; toMs: number; limit: number },
): Promise<Execution[]> {
  const { scope, jobId, fromMs, toMs, limit } = request;
  const found: Execution[] = [];
  let startKey: Item | undefined;
  do {
    const out = await dynamo(() =>
      client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: "job_id = :job AND #run BETWEEN :lo AND :hi",
          ExpressionAttributeNames: { "#run": "run" },
          ExpressionAttributeValues: {
            ":job": s(jobId),
            ":lo": s(runKey(fromMs, 0)),
            ":hi": s(runKey(toMs, 9999)),
          },
          ExclusiveStartKey: startKey,
          Limit: Math.min(1000, limit - found.length),
        }),
      ),
    );
    for (const item of out.Items ?? []) {
      if (visible(item, scope)) found.push(itemToExecution(item));
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey && found.length < limit);
  return found.slice(0, limit);
}
