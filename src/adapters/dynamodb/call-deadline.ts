/**
 * Bounds a DynamoDB call made inside a store-deadline scope (the api role's
 * calls, `core/store-deadline.ts`): one deadline per SDK call, set above the
 * SDK's retries, aborts the attempt in flight and ends the call with a
 * `StoreDeadlineExceeded`, which the SDK does not retry and `dynamo()` turns
 * into `unavailable`. Calls outside a scope are untouched.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { storeCallTimeoutMs } from "../../core/store-deadline.js";

interface Deadline {
  signal: AbortSignal;
  timeoutMs: number;
}

/** The deadline of the SDK call whose attempt is being sent. */
const calls = new AsyncLocalStorage<Deadline>();

/** A call that did not finish within its scope's bound. */
export class StoreDeadlineExceeded extends Error {
  override name = "StoreDeadlineExceeded";
}

/**
 * The SDK's Node handler, with each attempt of a bounded call aborted at its
 * deadline. An abort is not an error the SDK retries.
 */
export class DeadlineHttpHandler extends NodeHttpHandler {
  override async handle(...[request, options = {}]: Parameters<NodeHttpHandler["handle"]>) {
    const deadline = calls.getStore();
    if (!deadline) return super.handle(request, options);
    const exceeded = (cause?: unknown) =>
      new StoreDeadlineExceeded(`no answer within ${deadline.timeoutMs} ms`, { cause });
    if (deadline.signal.aborted) throw exceeded();
    const abortSignal = options.abortSignal
      ? AbortSignal.any([options.abortSignal as AbortSignal, deadline.signal])
      : deadline.signal;
    try {
      return await super.handle(request, { ...options, abortSignal });
    } catch (err) {
      throw deadline.signal.aborted ? exceeded(err) : err;
    }
  }
}

/** Starts each SDK call made inside an open scope with its deadline. */
export function boundCalls(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next) => (args) => {
      const timeoutMs = storeCallTimeoutMs();
      if (timeoutMs === undefined) return next(args);
      return calls.run({ signal: AbortSignal.timeout(timeoutMs), timeoutMs }, () => next(args));
    },
    { step: "initialize", name: "chronoringCallDeadline", priority: "high" },
  );
}
