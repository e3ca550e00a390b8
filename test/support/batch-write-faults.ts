import type {
  BatchWriteItemCommandInput,
  BatchWriteItemCommandOutput,
  DynamoDBClient,
  WriteRequest,
} from "@aws-sdk/client-dynamodb";

/**
 * What a BatchWriteItem answers under injected faults (DynamoDB Local never
 * throttles): each request has `unprocessed(attempt)` of its items taken out
 * before it is sent and handed back as UnprocessedItems, as a throttled
 * table does; or, when `down(attempt)` holds, fails as a refused connection.
 * Added above the SDK's retries (initialize step), so that each
 * BatchWriteItem the caller sends is one call here, a fault included. Other
 * commands pass untouched.
 */
export function injectBatchWriteFaults(
  client: DynamoDBClient,
  faults: { unprocessed?: (call: number) => number; down?: (call: number) => boolean },
): { calls: () => number } {
  let calls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "BatchWriteItemCommand") return next(args);
      calls++;
      if (faults.down?.(calls)) {
        throw Object.assign(new Error("connect ECONNREFUSED (injected)"), {
          code: "ECONNREFUSED",
        });
      }
      const input = args.input as BatchWriteItemCommandInput;
      const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? [];
      const held = faults.unprocessed?.(calls) ?? 0;
      if (!table || !requests || held === 0) return next(args);
      const kept: WriteRequest[] = requests.slice(held);
      const back: WriteRequest[] = requests.slice(0, held);
      const out =
        kept.length > 0
          ? await next({ ...args, input: { ...input, RequestItems: { [table]: kept } } })
          : { output: { $metadata: {} } as BatchWriteItemCommandOutput, response: {} };
      const output = out.output as BatchWriteItemCommandOutput;
      return { ...out, output: { ...output, UnprocessedItems: { [table]: back } } };
    },
    { step: "initialize", name: "testBatchWriteFaults" },
  );
  return { calls: () => calls };
}
