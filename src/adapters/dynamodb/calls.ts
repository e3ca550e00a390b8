import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import { type Clock, systemClock } from "../../core/clock.js";
import { invalidArgument, isChronoringError, unavailable } from "../../core/errors.js";
import type { JobStatus } from "../../core/job.js";
import type { Page } from "../../core/ports/job-store.js";
import { type RetrySchedule, retry } from "../../core/retry.js";
import { decodeToken, s, str, toPage } from "./job-item.js";

/**
 * Runs one DynamoDB call. Condition failures and cancelled transactions are
 * for the caller to interpret; anything else (network, throttling that
 * outlived the SDK's retries, a missing table) becomes `unavailable`, which
 * the API reports as Unavailable and loops retry.
 */
export async function dynamo<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (
      err instanceof ConditionalCheckFailedException ||
      err instanceof TransactionCanceledException ||
      isChronoringError(err)
    ) {
      throw err;
    }
    if (err instanceof DynamoDBServiceException && err.name === "ValidationException") throw err;
    throw unavailable("DynamoDB", err);
  }
}

/** Runs one conditional write (through `dynamo`): false when its condition failed. */
export async function conditionally(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await dynamo(call);
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}

/**
 * A job's status and whether it is failing (its last counted run failed:
 * `cfl` is set, see `failure-count.ts`), read strongly consistent; undefined
 * when the job is gone. The mark rides on the read a start makes anyway: a
 * read unit is the item's size, whatever the projection.
 */
export async function readJobState(
  client: DynamoDBClient,
  jobsTable: string,
  jobId: string,
): Promise<{ status: JobStatus; failing: boolean } | undefined> {
  const out = await dynamo(() =>
    client.send(
      new GetItemCommand({
        TableName: jobsTable,
        Key: { id: s(jobId) },
        ConsistentRead: true,
        ProjectionExpression: "#st, cfl",
        ExpressionAttributeNames: { "#st": "st" },
      }),
    ),
  );
  const status = out.Item ? (str(out.Item, "st") as JobStatus | undefined) : undefined;
  return status === undefined ? undefined : { status, failing: out.Item!.cfl !== undefined };
}

/** Which actions of a cancelled transaction failed their condition. */
export function failedConditions(err: TransactionCanceledException): boolean[] {
  return (err.CancellationReasons ?? []).map((r) => r.Code === "ConditionalCheckFailed");
}

/**
 * Runs a listing that starts from a client's page token: a token the store
 * rejects (tampered, or from another listing) is the client's bad input.
 */
export async function fromPageToken<T>(
  token: string | undefined,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (token && err instanceof DynamoDBServiceException && err.name === "ValidationException") {
      throw invalidArgument("page_token", "not a token returned by this API");
    }
    throw err;
  }
}

type Key = Record<string, AttributeValue>;

/** A batch request whose answer left part of it unprocessed (throttled): worth another round. */
export class Unprocessed extends Error {}

/**
 * Rounds of a BatchGetItem's unprocessed keys: ten, the delays from 25 ms
 * doubling to 2 s with equal jitter (what AWS asks of a throttled client;
 * resent at once they would most likely be throttled again).
 */
export const BATCH_GET_ROUNDS: RetrySchedule = {
  attempts: 10,
  baseMs: 25,
  maxMs: 2_000,
  jitter: 0.5,
};

/**
 * Reads the items of `keys` (up to 100 a call), consistently unless told
 * otherwise (an eventually consistent read costs half), in the order of
 * `keys`; missing items are left out. Unprocessed keys are asked again after
 * `BATCH_GET_ROUNDS`' delays on `clock`; keys still unprocessed after the
 * last round make it throw DynamoDB's Unavailable, as they cannot be told
 * apart from missing items.
 */
export async function batchGet(
  client: DynamoDBClient,
  table: string,
  keys: Key[],
  keyOf: (item: Key) => string,
  projection?: string,
  clock: Clock = systemClock,
  consistent = true,
): Promise<Key[]> {
  const found = new Map<string, Key>();
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Key[] = keys.slice(i, i + 100);
    const round = async () => {
      const out: BatchGetItemCommandOutput = await dynamo(() =>
        client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [table]: {
                Keys: pending,
                ConsistentRead: consistent,
                ...(projection ? { ProjectionExpression: projection } : {}),
              },
            },
          }),
        ),
      );
      for (const item of out.Responses?.[table] ?? []) found.set(keyOf(item), item);
      pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
      if (pending.length > 0) throw new Unprocessed();
    };
    await retry(BATCH_GET_ROUNDS, round, clock, {
      retryable: (err) => err instanceof Unprocessed,
    }).catch((err: unknown) => {
      if (!(err instanceof Unprocessed)) throw err;
      const left = `${pending.length} keys of ${table} unprocessed`;
      throw unavailable("DynamoDB", new Error(`${left} after ${BATCH_GET_ROUNDS.attempts} rounds`));
    });
  }
  return keys.map((k) => found.get(keyOf(k))).filter((x): x is Key => x !== undefined);
}

/**
 * One page of a partition's entries in a sparse deadline index (hash `part`,
 * range `rangeAttr`) whose deadline is in `(fromMs, toMs]`, earliest first.
 */
export function queryDeadlines(
  client: DynamoDBClient,
  query: { table: string; index: string; rangeAttr: string },
  window: { partition: number; fromMs: number; toMs: number; limit: number; startKey?: Key },
): Promise<QueryCommandOutput> {
  return dynamo(() =>
    client.send(
      new QueryCommand({
        TableName: query.table,
        IndexName: query.index,
        KeyConditionExpression: `part = :p AND ${query.rangeAttr} BETWEEN :from AND :to`,
        ExpressionAttributeValues: {
          ":p": { N: String(window.partition) },
          ":from": { N: String(window.fromMs + 1) },
          ":to": { N: String(window.toMs) },
        },
        Limit: window.limit,
        ExclusiveStartKey: window.startKey,
      }),
    ),
  );
}

/**
 * One page of a listing by Query: queries from the page token until
 * `pageSize` items are read or the key range ends (a filter, such as the
 * tenant's, applies after the limit, so one query may return fewer).
 */
export async function queryPages<T>(
  client: DynamoDBClient,
  page: { pageSize: number; pageToken?: string | undefined },
  decode: (item: Key) => T,
  input: (limit: number, startKey: Key | undefined) => QueryCommandInput,
): Promise<Page<T>> {
  const items: T[] = [];
  let startKey = decodeToken(page.pageToken);
  do {
    const out = await dynamo(() =>
      client.send(new QueryCommand(input(page.pageSize - items.length, startKey))),
    );
    items.push(...(out.Items ?? []).map(decode));
    startKey = out.LastEvaluatedKey;
  } while (startKey && items.length < page.pageSize);
  return toPage(items, startKey);
}
