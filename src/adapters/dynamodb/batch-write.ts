/**
 * Puts many items with BatchWriteItem: 25 per request (DynamoDB's limit),
 * several requests in flight, and the UnprocessedItems of each request sent
 * again with exponential backoff and equal jitter (what AWS asks of a client
 * that is throttled). Shared by the bulk job import, the audit trail and
 * restore.
 */

import { BatchWriteItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type Clock, systemClock } from "../../core/clock.js";
import { isChronoringError } from "../../core/errors.js";
import { inOrder } from "../../core/in-order.js";
import { type RetrySchedule, retry } from "../../core/retry.js";
import { dynamo, Unprocessed } from "./calls.js";
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
  /**
   * false: a request that fails outright (unavailable) throws that error at
   * once, and the requests not yet sent are not sent. Default true: it
   * counts as a round.
   */
  retryUnavailable?: boolean;
  /** Where the backoff waits (tests: a fake clock). */
  clock?: Clock;
  /** Told before each resend, with how many of the request's items it carries. */
  onRetry?: (pending: number, round: number, delayMs: number) => void;
}

/**
 * Writes `items` to `table`; resolves with those still unwritten after every
 * round of their request (empty when all were). A request that fails outright
 * (unavailable) counts as a round that wrote none of its items, unless
 * `retryUnavailable` is false; one the store refuses (a bad item) ends its
 * rounds at once, its items unwritten.
 */
export async function batchPut(
  client: DynamoDBClient,
  table: string,
  items: Item[],
  options: BatchWriteOptions = {},
): Promise<Item[]> {
  const { concurrency = 8, attempts = 8, baseDelayMs = 25, maxDelayMs = 2_000 } = options;
  const retryUnavailable = options.retryUnavailable ?? true;
  // Equal jitter: each delay is half to all of the nominal one.
  const rounds: RetrySchedule = { attempts, baseMs: baseDelayMs, maxMs: maxDelayMs, jitter: 0.5 };
  const clock = options.clock ?? systemClock;
  const chunks: Item[][] = [];
  for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) {
    chunks.push(items.slice(i, i + BATCH_WRITE_MAX));
  }
  const left: Item[] = [];
  async function putChunk(chunk: Item[]): Promise<Item[]> {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    const round = async () => {
      const out = await dynamo(() =>
        client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } })),
      );
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      if (pending.length > 0) throw new Unprocessed();
    };
    try {
      await retry(rounds, round, clock, {
        retryable: (err) =>
          err instanceof Unprocessed || (retryUnavailable && isChronoringError(err, "unavailable")),
        onRetry: (_err, attempt, delayMs) => options.onRetry?.(pending.length, attempt, delayMs),
      });
      return [];
    } catch (err) {
      if (!retryUnavailable && isChronoringError(err, "unavailable")) throw err;
      return pending.map((r) => r.PutRequest.Item);
    }
  }
  await inOrder(chunks, concurrency, async (chunk) => {
    left.push(...(await putChunk(chunk)));
  });
  return left;
}
