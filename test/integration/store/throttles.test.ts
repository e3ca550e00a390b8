/**
 * Store throttles are counted per attempt, against DynamoDB Local (which
 * never throttles): a fault injected by SDK middleware inside the retry loop
 * answers the first attempts of a call with DynamoDB's throttling errors.
 * Attempts the SDK retried away count, and so does the last one of a call
 * that gives up; other errors do not.
 */
import {
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ThrottlingException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { createDynamoClient } from "../../../src/adapters/dynamodb/client.js";
import { localCredentials, testBackends } from "../../support/backends.js";

type Fault = () => Error;

const throughput: Fault = () =>
  new ProvisionedThroughputExceededException({
    message: "injected: table over its provisioned rate",
    $metadata: { httpStatusCode: 400 },
  });
const throttling: Fault = () =>
  new ThrottlingException({
    message: "injected: rate exceeded",
    $metadata: { httpStatusCode: 400 },
  });

/**
 * Fails the next `faults.length` attempts with the given errors, below the
 * throttle counter (normal priority in the same step) and so inside the
 * SDK's retries, as an answer from DynamoDB would.
 */
function injectFaults(client: DynamoDBClient, faults: Fault[]): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const fault = faults.shift();
      if (fault) throw fault();
      return next(args);
    },
    { step: "deserialize", name: "testFault" },
  );
}

describe("chronoring_store_throttles_total", () => {
  let client: DynamoDBClient | undefined;
  afterEach(() => client?.destroy());

  function counted(maxAttempts: number) {
    const seen: string[] = [];
    client = createDynamoClient({
      endpoint: testBackends().dynamodb,
      region: testBackends().region,
      credentials: localCredentials,
      tablePrefix: "unused-",
      maxAttempts,
      requestTimeoutMs: 5_000,
      onThrottle: (command) => seen.push(command),
    });
    return { client, seen };
  }

  it("counts each throttled attempt that the SDK retried away", async () => {
    const { client, seen } = counted(5);
    injectFaults(client, [throughput, throttling]);
    const out = await client.send(new ListTablesCommand({}));
    expect(out.TableNames).toBeDefined();
    expect(out.$metadata.attempts).toBe(3);
    expect(seen).toEqual(["ListTablesCommand", "ListTablesCommand"]);
  });

  it("counts every attempt of a call that gives up throttled", async () => {
    const { client, seen } = counted(2);
    injectFaults(client, [throughput, throughput, throughput]);
    await expect(client.send(new ListTablesCommand({}))).rejects.toBeInstanceOf(
      ProvisionedThroughputExceededException,
    );
    expect(seen).toEqual(["ListTablesCommand", "ListTablesCommand"]);
  });

  it("counts a transaction cancelled because one of its items was throttled", async () => {
    const { client, seen } = counted(3);
    injectFaults(client, [
      () =>
        new TransactionCanceledException({
          message: "injected: cancelled",
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: [{ Code: "None" }, { Code: "ThrottlingError" }],
        }),
    ]);
    await expect(client.send(new ListTablesCommand({}))).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );
    expect(seen).toEqual(["ListTablesCommand"]);
  });

  it("does not count other errors", async () => {
    const { client, seen } = counted(3);
    await expect(
      client.send(new DescribeTableCommand({ TableName: "no-such-table-for-throttles" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(seen).toEqual([]);
  });
});
