import {
  CreateQueueCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
} from "@aws-sdk/client-sqs";
import { isChronoringError, unavailable } from "../../core/errors.js";
import type { DeadLetterQueue, DeadRunMessage } from "../../core/ports/dead-letter-queue.js";

export interface SqsDeadLetterOptions {
  endpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** The queue is `<prefix>runs-dead`, beside the run queue `<prefix>runs`. */
  queuePrefix: string;
  maxAttempts: number;
  requestTimeoutMs: number;
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
  const client = new SQSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs,
      throwOnRequestTimeout: true,
      connectionTimeout: Math.min(options.requestTimeoutMs, 3000),
    },
  });
  let queueUrl: string | undefined;

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isChronoringError(err)) throw err;
      throw unavailable("SQS", err);
    }
  }

  function url(): string {
    if (!queueUrl) throw new Error("dead letter queue used before init()");
    return queueUrl;
  }

  return {
    async init() {
      const out = await call(() =>
        client.send(
          new CreateQueueCommand({
            QueueName: deadQueueName(options.queuePrefix),
            Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
          }),
        ),
      );
      queueUrl = out.QueueUrl;
    },

    async publish(message: DeadRunMessage) {
      await call(() =>
        client.send(
          new SendMessageCommand({ QueueUrl: url(), MessageBody: JSON.stringify(message) }),
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
