import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import { isChronoringError, unavailable } from "../../core/errors.js";

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
