import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { inOrder } from "../../core/in-order.js";
import type { Delivery, ExtendFailure } from "../../core/ports/work-queue.js";
import { DEFAULT_PRIORITY, PRIORITIES, type Priority } from "../../core/priority.js";
import { sqs } from "./client.js";

/** Entries of one ChangeMessageVisibilityBatch: SQS's limit. */
const BATCH = 10;
/** Batch requests of one `extendAll` in flight at once. */
const CONCURRENCY = 8;
/** SQS's longest visibility timeout, 12 hours. */
const MAX_VISIBILITY_S = 43_200;

const visibility = (seconds: number) =>
  Math.min(MAX_VISIBILITY_S, Math.max(0, Math.round(seconds)));

/**
 * `extend` and `extendAll` of the SQS work queue. `extendAll` sends one
 * ChangeMessageVisibilityBatch per 10 messages of a queue: a worker keeping
 * hundreds of waiting runs invisible pays a tenth of the requests that one
 * ChangeMessageVisibility each would cost. SQS answers each entry on its
 * own, so a message that is gone fails alone.
 */
export function createVisibility(client: SQSClient, url: (priority?: Priority) => string) {
  return {
    async extend(delivery: Delivery, seconds: number): Promise<void> {
      await sqs(() =>
        client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url(delivery.priority),
            ReceiptHandle: delivery.handle,
            VisibilityTimeout: visibility(seconds),
          }),
        ),
      );
    },

    async extendAll(deliveries: readonly Delivery[], seconds: number): Promise<ExtendFailure[]> {
      const batches: Array<{ priority: Priority; entries: Delivery[] }> = [];
      for (const priority of PRIORITIES) {
        const mine = deliveries.filter((d) => (d.priority ?? DEFAULT_PRIORITY) === priority);
        for (let i = 0; i < mine.length; i += BATCH) {
          batches.push({ priority, entries: mine.slice(i, i + BATCH) });
        }
      }
      const failed: ExtendFailure[] = [];
      await inOrder(batches, CONCURRENCY, async ({ priority, entries }) => {
        try {
          const out = await sqs(() =>
            client.send(
              new ChangeMessageVisibilityBatchCommand({
                QueueUrl: url(priority),
                Entries: entries.map((d, i) => ({
                  Id: String(i),
                  ReceiptHandle: d.handle,
                  VisibilityTimeout: visibility(seconds),
                })),
              }),
            ),
          );
          for (const f of out.Failed ?? []) {
            const delivery = entries[Number(f.Id)];
            const why = `${f.Code ?? "failed"}: ${f.Message ?? "the queue did not extend it"}`;
            if (delivery) failed.push({ delivery, error: new Error(why) });
          }
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          for (const delivery of entries) failed.push({ delivery, error });
        }
      });
      return failed;
    },
  };
}
