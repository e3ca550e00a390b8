import {
  CreateQueueCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  SQSServiceException,
} from "@aws-sdk/client-sqs";
import { unavailable } from "../../core/errors.js";
import type { DeadLetterQueue, DeadRunMessage } from "../../core/ports/dead-letter-queue.js";
import { createSqsClient, type SqsConnection, sqs } from "./client.js";
import { recreatingQueues } from "./queue-recovery.js";

export interface SqsDeadLetterOptions extends SqsConnection {
  /** The queue is `<prefix>runs-dead`, beside the run queue `<prefix>runs`. */
  queuePrefix: string;
}

/** The queue name of dead runs for a queue prefix. */
export function deadQueueName(prefix: string): string {
  return `${prefix}runs-dead`;
}

/**
 * Dead runs on SQS, one JSON message per run (see DeadRunMessage), kept 14
 * days (the SQS maximum). Not to be confused with `<prefix>runs-dlq`, where
 * SQS moves run messages that no worker could parse or finish.
 */
export function createSqsDeadLetterQueue(options: SqsDeadLetterOptions): DeadLetterQueue {
  const client = createSqsClient(options);
  let queueUrl: string | undefined;
  const createQueue = async () => {
    const out = await sqs(() =>
      client.send(
        new CreateQueueCommand({
          QueueName: deadQueueName(options.queuePrefix),
          Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
        }),
      ),
    );
    queueUrl = out.QueueUrl;
  };
  const withQueue = recreatingQueues(createQueue);

  function url(): string {
    if (!queueUrl) throw new Error("dead letter queue used before init()");
    return queueUrl;
  }

  return {
    init: createQueue,

    async publish(message: DeadRunMessage) {
      await withQueue(() =>
        sqs(() =>
          client.send(
            new SendMessageCommand({ QueueUrl: url(), MessageBody: JSON.stringify(message) }),
          ),
        ),
      );
    },

    async purge() {
      try {
        await client.send(new PurgeQueueCommand({ QueueUrl: url() }));
      } catch (err) {
        // AWS allows one purge a minute; the one in progress removes these messages too.
        if (err instanceof SQSServiceException && err.name.includes("PurgeQueueInProgress")) return;
        throw unavailable("SQS", err);
      }
    },
  };
}
