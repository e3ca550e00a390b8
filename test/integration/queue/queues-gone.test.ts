/**
 * Queues that vanish (an SQS emulator restarted empty, a queue deleted by
 * hand): the next send, receive or depth call creates them again and goes
 * on, instead of failing for good. Real SQS emulator; the queues are deleted
 * behind the adapter's back.
 */
import { DeleteQueueCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createSqsClient } from "../../../src/adapters/sqs/client.js";
import { createSqsDeadLetterQueue } from "../../../src/adapters/sqs/dead-letter-queue.js";
import { createSqsWorkQueue } from "../../../src/adapters/sqs/work-queue.js";
import { testConfig } from "../../support/app.js";
import { sqsTestConnection } from "../../support/sqs.js";

describe("run queues deleted behind the adapter", () => {
  it("are created again by the next call, which then succeeds", async () => {
    const config = testConfig("queues-gone");
    const connection = sqsTestConnection(config);
    let recreated = 0;
    const queue = createSqsWorkQueue(
      {
        ...connection,
        queuePrefix: config.queue.prefix,
        visibilityTimeoutS: 10,
        maxReceiveCount: 5,
      },
      { onQueuesRecreated: () => recreated++ },
    );
    const dead = createSqsDeadLetterQueue({ ...connection, queuePrefix: config.queue.prefix });
    await queue.init();
    await dead.init();

    const admin = createSqsClient(connection);
    const deleteAll = async (expected: number) => {
      const { QueueUrls = [] } = await admin.send(
        new ListQueuesCommand({ QueueNamePrefix: config.queue.prefix }),
      );
      expect(QueueUrls.length).toBe(expected);
      for (const QueueUrl of QueueUrls) await admin.send(new DeleteQueueCommand({ QueueUrl }));
    };
    await deleteAll(5);

    const run = {
      tenant: "default",
      jobId: "job-1",
      scheduledMs: 1000,
      attempt: 1,
      partition: 0,
      manual: false,
    };
    await queue.send([run]);
    expect(recreated).toBe(1);
    const got = await queue.receive(10, 1000);
    expect(got.map((d) => d.run.jobId)).toEqual(["job-1"]);
    await queue.ack(got[0]!);

    // The run queues only: the dead runs' queue was not used since.
    await deleteAll(4);
    expect(await queue.receive(10, 0)).toEqual([]);
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(recreated).toBe(2);
    await expect(
      dead.publish({ executionId: "job-1:1000:1", jobId: "job-1", tenant: "default" } as never),
    ).resolves.toBeUndefined();
  });
});
