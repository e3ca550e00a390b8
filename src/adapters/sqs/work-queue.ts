import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from "@aws-sdk/client-sqs";
import { type Clock, systemClock } from "../../core/clock.js";
import { inOrder } from "../../core/in-order.js";
import type { Delivery, OutgoingRun, QueueDepth, WorkQueue } from "../../core/ports/work-queue.js";
import { DEFAULT_PRIORITY, PRIORITIES, type Priority } from "../../core/priority.js";
import { injectTrace } from "../../observability/trace-context.js";
import { createBatcher } from "./batcher.js";
import { createSqsClient, type SqsConnection, sqs } from "./client.js";
import { parseRuns, type RunMessage } from "./message-body.js";
import type { Attributes, OutgoingMessage } from "./packed-visibility.js";
import { createPackedVisibility } from "./packed-visibility.js";
import { createPackTracker, messageBody, packRuns } from "./packs.js";
import { recreatingQueues } from "./queue-recovery.js";
import { sendInRounds } from "./send-rounds.js";
import { TRACE_ATTRIBUTES, traceAttributes, traceFromAttributes } from "./trace-attributes.js";
import { createVisibility } from "./visibility.js";

export interface SqsOptions extends SqsConnection {
  /**
   * Queue name prefix; the queues are `<prefix>runs` (MEDIUM), `<prefix>runs-high`,
   * `<prefix>runs-low` and their dead letter queue `<prefix>runs-dlq`.
   */
  queuePrefix: string;
  /** Seconds a received run stays invisible before redelivery (the worker extends it). */
  visibilityTimeoutS: number;
  /** Deliveries before a message moves to the dead letter queue. */
  maxReceiveCount: number;
  /** Runs sent together share a message, up to this many (`packs.ts`); default and most 10, 1: one run a message. */
  runsPerMessage?: number;
}

/** SQS's longest message delay. */
const MAX_DELAY_S = 900;

/** MEDIUM keeps the name of the single queue that came before priorities. */
export function queueName(prefix: string, priority: Priority): string {
  return priority === "MEDIUM" ? `${prefix}runs` : `${prefix}runs-${priority.toLowerCase()}`;
}

/**
 * How long a delete waits for others to share its DeleteMessageBatch. The
 * run's outcome is recorded before, so the wait delays no run. With runs
 * packed ten to a message (`packs.ts`), 200 runs a second end about 20
 * messages a second: 50 ms made 0.06 deletes a fire, a batch of 1.7, where
 * 500 ms fills one of 10. A run whose delete waits no longer counts
 * against the worker's slots (`RunSlot.recorded`): in a burst, 9 runs a
 * queue waiting that long among the finishing ones had taken slots from
 * the next starts. A batch goes out at 10, so at most 9 wait on a queue
 * whatever the rate.
 */
export const ACK_GATHER_MS = 500;

/** The run queue on SQS (or an SQS-compatible emulator), with its dead letter queue. */
export function createSqsWorkQueue(
  options: SqsOptions,
  hooks: {
    onMalformed?: (body: string | undefined) => void;
    /** Told when the queues were found gone and created again. */
    onQueuesRecreated?: () => void;
    /** Send times and the ack batches' wait run on it. Default the system clock. */
    clock?: Clock;
  } = {},
): WorkQueue {
  const clock = hooks.clock ?? systemClock;
  const client = createSqsClient(options);
  const queueUrls = new Map<Priority, string>();
  const withQueues = recreatingQueues(() => createQueues(), hooks.onQueuesRecreated);

  /**
   * Deletes gather for up to `ACK_GATHER_MS` into DeleteMessageBatch calls of
   * up to 10 (one batcher per queue): a busy worker acknowledges many runs a
   * second, and one call per message costs the worker and the queue more than
   * the runs themselves.
   */
  const ackBatcher = (priority: Priority) =>
    createBatcher<string>(
      10,
      ACK_GATHER_MS,
      async (handles) => {
        const entries = handles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle }));
        const out = await sqs(() =>
          client.send(new DeleteMessageBatchCommand({ QueueUrl: url(priority), Entries: entries })),
        );
        const failed = new Set((out.Failed ?? []).map((f) => Number(f.Id)));
        return handles.map((_, i) =>
          failed.has(i) ? new Error("the queue did not delete the message") : undefined,
        );
      },
      clock,
    );
  const acks = new Map(PRIORITIES.map((p) => [p, ackBatcher(p)] as const));
  const visibility = createVisibility(client, url);
  const packs = createPackTracker<RunMessage>();
  const packed = createPackedVisibility({ packs, visibility, sendMessages, ackMessage });
  /** Runs a received message carried, on average lately: receives ask for about `max` runs. */
  let runsPerMessage = 1;

  function ackMessage(priority: Priority | undefined, receipt: string): Promise<void> {
    return acks.get(priority ?? DEFAULT_PRIORITY)!.add(receipt);
  }

  /**
   * Sends messages, in their order, as SendMessageBatch calls of up to ten
   * of one queue, `SEND_CONCURRENCY` at a time: the queue then keeps roughly
   * the order the sender chose (tenants round-robin), where hundreds of
   * concurrent batches land in any order.
   */
  async function sendMessages(
    messages: Array<{ priority: Priority; message: OutgoingMessage }>,
  ): Promise<void> {
    const batches: Array<{ priority: Priority; messages: OutgoingMessage[] }> = [];
    for (const priority of PRIORITIES) {
      const mine = messages.filter((m) => m.priority === priority).map((m) => m.message);
      for (let i = 0; i < mine.length; i += 10) {
        batches.push({ priority, messages: mine.slice(i, i + 10) });
      }
    }
    await inOrder(batches, SEND_CONCURRENCY, async ({ priority, messages: batch }) => {
      const entries = batch.map(({ body, delay, attributes }, i) => ({
        Id: String(i),
        MessageBody: body,
        ...(delay ? { DelaySeconds: delay } : {}),
        ...(attributes ? { MessageAttributes: attributes } : {}),
      }));
      await sendInRounds(
        entries,
        async (request) => {
          const out = await withQueues(() =>
            sqs(() =>
              client.send(
                new SendMessageBatchCommand({ QueueUrl: url(priority), Entries: request }),
              ),
            ),
          );
          return out.Failed ?? [];
        },
        clock,
      );
    });
  }

  function url(priority: Priority = DEFAULT_PRIORITY): string {
    const found = queueUrls.get(priority);
    if (!found) throw new Error("work queue used before init()");
    return found;
  }

  async function depthOf(priority: Priority): Promise<QueueDepth> {
    const out = await withQueues(() =>
      sqs(() =>
        client.send(
          new GetQueueAttributesCommand({
            QueueUrl: url(priority),
            AttributeNames: [
              "ApproximateNumberOfMessages",
              "ApproximateNumberOfMessagesNotVisible",
              "ApproximateNumberOfMessagesDelayed",
            ],
          }),
        ),
      ),
    );
    const a = out.Attributes ?? {};
    return {
      visible: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  async function createQueues(): Promise<void> {
    const dlq = await sqs(() =>
      client.send(new CreateQueueCommand({ QueueName: `${options.queuePrefix}runs-dlq` })),
    );
    const dlqAttrs = await sqs(() =>
      client.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
      ),
    );
    await Promise.all(
      PRIORITIES.map(async (priority) => {
        const created = await sqs(() =>
          client.send(
            new CreateQueueCommand({
              QueueName: queueName(options.queuePrefix, priority),
              Attributes: {
                VisibilityTimeout: String(options.visibilityTimeoutS),
                RedrivePolicy: JSON.stringify({
                  deadLetterTargetArn: dlqAttrs.Attributes?.QueueArn,
                  maxReceiveCount: options.maxReceiveCount,
                }),
              },
            }),
          ),
        );
        if (created.QueueUrl) queueUrls.set(priority, created.QueueUrl);
      }),
    );
  }

  return {
    init: () => createQueues(),

    async send(runs: OutgoingRun[]) {
      const now = clock.now();
      const messages: Array<{ priority: Priority; message: OutgoingMessage }> = [];
      for (const priority of PRIORITIES) {
        // Runs that share a delay and attributes share messages (`packs.ts`).
        const groups = new Map<
          string,
          { delay?: number; attributes?: Attributes; bodies: string[] }
        >();
        for (const run of runs) {
          if ((run.priority ?? DEFAULT_PRIORITY) !== priority) continue;
          const { priority: _queue, delayMs, trace, ...rest } = run;
          // A run that names no trace continues the sender's (an API call, a worker's retry).
          const attributes = traceAttributes(trace ?? injectTrace());
          // SQS takes whole seconds up to 15 minutes; callers keep longer delays in the store.
          const delay = delayMs ? Math.min(MAX_DELAY_S, Math.ceil(delayMs / 1000)) : undefined;
          const key = `${delay ?? 0} ${attributes ? JSON.stringify(attributes) : ""}`;
          const group = groups.get(key) ?? { delay, attributes, bodies: [] };
          groups.set(key, group);
          group.bodies.push(JSON.stringify({ ...rest, sentMs: now } satisfies RunMessage));
        }
        for (const { delay, attributes, bodies } of groups.values()) {
          for (const pack of packRuns(bodies, options.runsPerMessage)) {
            messages.push({ priority, message: { body: messageBody(pack), delay, attributes } });
          }
        }
      }
      await sendMessages(messages);
    },

    async receive(
      max: number,
      waitMs: number,
      signal?: AbortSignal,
      priority: Priority = DEFAULT_PRIORITY,
    ): Promise<Delivery[]> {
      const out = await withQueues(() =>
        sqs(() =>
          client.send(
            new ReceiveMessageCommand({
              QueueUrl: url(priority),
              // About `max` runs: fewer messages when they have been carrying several.
              MaxNumberOfMessages: Math.min(10, Math.max(1, Math.floor(max / runsPerMessage))),
              WaitTimeSeconds: Math.min(20, Math.ceil(waitMs / 1000)),
              MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
              MessageAttributeNames: [...TRACE_ATTRIBUTES],
            }),
            // A long poll outlasts the client's request timeout: give it its wait on top, or
            // the SDK cuts it and the queue hands the next message to the abandoned receive.
            { abortSignal: signal, requestTimeout: waitMs + options.requestTimeoutMs },
          ),
        ),
      );
      const deliveries: Delivery[] = [];
      for (const m of out.Messages ?? []) {
        const parsed = parseRuns(m.Body);
        if (!parsed) {
          hooks.onMalformed?.(m.Body);
          // Leave it: after maxReceiveCount deliveries it lands in the dead letter queue.
          continue;
        }
        const runs = parsed.runs.filter((run): run is RunMessage => {
          // A pack's member that is no run is told, and goes with its
          // message; a pack of none is left, as a malformed message is.
          if (!run) hooks.onMalformed?.(m.Body);
          return run !== undefined;
        });
        if (runs.length === 0) continue;
        runsPerMessage = runsPerMessage * 0.8 + runs.length * 0.2;
        const receipt = m.ReceiptHandle ?? "";
        const handles = parsed.pack
          ? packs.received(receipt, runs, m.MessageAttributes, clock.now())
          : [receipt];
        const trace = traceFromAttributes(m.MessageAttributes);
        const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
        runs.forEach((run, i) => {
          const { sentMs, target, limits, notify, workflowId, wait, claimed, failing, ...ref } =
            run;
          deliveries.push({
            run: ref,
            ...(target ? { target } : {}),
            ...(limits ? { limits } : {}),
            ...(notify ? { notify } : {}),
            ...(workflowId ? { workflowId } : {}),
            ...(wait ? { wait } : {}),
            ...(claimed ? { claimed } : {}),
            ...(failing !== undefined ? { failing } : {}),
            receiveCount,
            sentMs: sentMs || Number(m.Attributes?.SentTimestamp ?? 0),
            handle: handles[i]!,
            priority,
            ...(trace ? { trace } : {}),
          });
        });
      }
      return deliveries;
    },

    ack(delivery: Delivery) {
      if (!packs.isMember(delivery.handle)) return ackMessage(delivery.priority, delivery.handle);
      return packed.act(delivery.priority, packs.acked(delivery.handle));
    },

    async extend(delivery: Delivery, seconds: number): Promise<void> {
      if (!packs.isMember(delivery.handle)) return visibility.extend(delivery, seconds);
      const [failed] = await packed.extendAll([delivery], seconds);
      if (failed) throw failed.error;
    },

    extendAll: packed.extendAll,

    async depth(priority?: Priority): Promise<QueueDepth> {
      if (priority) return depthOf(priority);
      const all = await Promise.all(PRIORITIES.map(depthOf));
      return all.reduce((sum, d) => ({
        visible: sum.visible + d.visible,
        inFlight: sum.inFlight + d.inFlight,
        delayed: sum.delayed + d.delayed,
      }));
    },
  };
}

/** Batches of one send in flight at once. */
const SEND_CONCURRENCY = 8;
