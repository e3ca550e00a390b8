/**
 * Messages that carry no run, alone or in a pack, against the SQS emulator:
 * each is told to `onMalformed`; the good runs of a pack are delivered and
 * acknowledging them deletes their message; a message with no run at all
 * is left (after `max-receive-count` deliveries it lands in the DLQ).
 */
import { GetQueueUrlCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createSqsClient } from "../../../src/adapters/sqs/client.js";
import { createSqsWorkQueue, queueName } from "../../../src/adapters/sqs/work-queue.js";
import { testConfig } from "../../support/app.js";
import { sqsTestConnection } from "../../support/sqs.js";

describe("run messages that are not runs", () => {
  it("are told and left; a pack's good runs still come, and their acks delete it", async () => {
    const config = testConfig("queue-malformed");
    const connection = sqsTestConnection(config);
    const told: string[] = [];
    const queue = createSqsWorkQueue(
      {
        ...connection,
        queuePrefix: config.queue.prefix,
        visibilityTimeoutS: 1,
        maxReceiveCount: 5,
      },
      { onMalformed: (body) => told.push(body ?? "") },
    );
    await queue.init();
    const run = (scheduledMs: number) =>
      JSON.stringify({ jobId: "job-1", scheduledMs, attempt: 1, partition: 0, manual: false });
    const admin = createSqsClient(connection);
    const { QueueUrl } = await admin.send(
      new GetQueueUrlCommand({ QueueName: queueName(config.queue.prefix, "MEDIUM") }),
    );
    const bodies = [
      "not json",
      `{"runs":[${run(1)},{"jobId":7},${run(2)}]}`,
      '{"runs":[{"nope":true}]}',
    ];
    await admin.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })),
      }),
    );
    const got = [];
    for (let tries = 0; got.length < 2 && tries < 5; tries++) {
      got.push(...(await queue.receive(10, 0)));
    }
    expect(got.map((d) => d.run.scheduledMs).sort()).toEqual([1, 2]);
    expect(told.sort()).toEqual([bodies[1], bodies[2], bodies[0]].sort());
    for (const d of got) await queue.ack(d);
    // After the visibility timeout only the two messages with no run come back.
    await new Promise((r) => setTimeout(r, 1500));
    told.length = 0;
    const again = [];
    for (let tries = 0; tries < 3; tries++) again.push(...(await queue.receive(10, 0)));
    expect(again).toEqual([]);
    expect(told.sort()).toEqual([bodies[0], bodies[2]].sort());
  });
});
