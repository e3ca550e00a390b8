import { type DynamoDBClient, TransactionCanceledException } from "@aws-sdk/client-dynamodb";

/**
 * What DynamoDB answers when it throttles: a table or index over its
 * provisioned or on-demand rate, the control plane's rate, the account's
 * request limit.
 */
const THROTTLE_ERRORS = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

/** True for an error of one throttled attempt (a cancelled transaction: an item's reason). */
export function isThrottle(err: unknown): boolean {
  if (err instanceof TransactionCanceledException) {
    return (err.CancellationReasons ?? []).some((r) => r.Code === "ThrottlingError");
  }
  return err instanceof Error && THROTTLE_ERRORS.has(err.name);
}

/**
 * Calls `onThrottle(command)` for every throttled attempt of a call made
 * through `client`, those the SDK retried away included: the throttle shows
 * long before a call fails. Deserialize-step middleware runs once per
 * attempt, inside the SDK's retry loop; at high priority it wraps the
 * deserializer that turns the answer into the error.
 */
export function countThrottles(
  client: DynamoDBClient,
  onThrottle: (command: string) => void,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        if (isThrottle(err)) onThrottle(context.commandName ?? "unknown");
        throw err;
      }
    },
    { step: "deserialize", priority: "high", name: "chronoringThrottleCounter" },
  );
}
