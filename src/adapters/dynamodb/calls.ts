import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import { invalidArgument, isChronoringError, unavailable } from "../../core/errors.js";

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
