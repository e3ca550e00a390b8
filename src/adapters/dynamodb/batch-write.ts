/**
 * Puts many items with BatchWriteItem: 25 per request (DynamoDB's limit),
 * several requests in flight, and the UnprocessedItems of each request sent
 * again with exponential backoff and jitter (what AWS asks of a client that
 * is throttled). Shared by the bulk job import and restore.
 */

import { BatchWriteItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { inOrder } from "../../core/in-order.js";
import { dynamo } from "./calls.js";
import type { Item } from "./job-item.js";

/** DynamoDB's limit of items per BatchWriteItem. */
export const BATCH_WRITE_MAX = 25;

export interface BatchWriteOptions {
  /** Requests in flight at once. */
  concurrency?: number;
  /** Rounds per request (the first send and its resends) before its rest is given up. */
  attempts?: number;
  /** First backoff, ms; doubles each round up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes `items` to `table`; resolves with those still unwritten after every
 * round of their request (empty when all were). A request that fails outright
 * (unavailable) counts as a round that wrote none of its items.
 */
export async function batchPut(
  client: DynamoDBClient,
  table: string,
  items: Item[],
  options: BatchWriteOptions = {},
): Promise<Item[]> {
  const { concurrency = 8, attempts = 8, baseDelayMs = 25, maxDelayMs = 2_000 } = options;
  const chunks: Item[][] = [];
  for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) {
    chunks.push(items.slice(i, i + BATCH_WRITE_MAX));
  }
  const left: Item[] = [];
  async function putChunk(chunk: Item[]): Promise<Item[]> {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round >= attempts) return pending.map((r) => r.PutRequest.Item);
      if (round > 0) {
        const cap = Math.min(baseDelayMs * 2 ** (round - 1), maxDelayMs);
        await sleep(cap / 2 + Math.random() * (cap / 2));
      }
      try {
        const out = await dynamo(() =>
          client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } })),
        );
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      } catch {
        // Unavailable: the whole request is pending again.
      }
    }
    return [];
  }
  await inOrder(chunks, concurrency, async (chunk) => {
    left.push(...(await putChunk(chunk)));
  });
  return left;
}
