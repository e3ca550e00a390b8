/**
 * The dispatch thread (`dispatch-thread.ts`): holds the runs
 * the scheduler claimed and sends each at its time, on a queue client of its
 * own, reporting what it sent to the main thread's metrics.
 */
import { parentPort, workerData } from "node:worker_threads";
import pino from "pino";
import { workQueueOptions } from "../adapters/from-config.js";
import { createSqsWorkQueue } from "../adapters/sqs/work-queue.js";
import type { Config } from "../config/config.js";
import { systemClock } from "../core/clock.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { retry } from "../core/retry.js";
import type { FromDispatchThread, ToDispatchThread } from "./dispatch-thread.js";
import { createDispatcher, type DispatchMetrics } from "./dispatcher.js";

const port = parentPort;
if (!port) throw new Error("dispatch-worker runs as a worker thread");
const { config } = (workerData as { data: { config: Config } }).data;
const post = (message: FromDispatchThread) => port.postMessage(message);
const logger = pino({ level: config.logLevel, base: { pid: process.pid, thread: "dispatch" } });

const sqs = createSqsWorkQueue({
  ...workQueueOptions(config),
  // Counted in the main thread's metrics, with the process's other SQS requests.
  onRequest: (command, count) => post({ type: "requests", command, count }),
});
// The main thread created the queues; this finds their URLs (0.2 s doubling up to 5 s apart).
await retry({ baseMs: 200, maxMs: 5_000 }, () => sqs.init(), systemClock, {
  onRetry: (err, attempt) =>
    logger.warn({ err, attempt }, "dispatch thread cannot reach SQS yet; retrying"),
});
const queue: Pick<WorkQueue, "send"> = {
  send(runs) {
    post({ type: "released", count: runs.length });
    return sqs.send(runs);
  },
};

// The dispatcher observes each run's lateness, then counts the batch as sent.
let lateness: number[] = [];
const metrics: DispatchMetrics = {
  fireLateness: { observe: (seconds) => lateness.push(seconds) },
  sent: {
    inc: () => {
      post({ type: "sent", latenessS: lateness });
      lateness = [];
    },
  },
  sendFailures: { inc: () => post({ type: "sendFailed" }) },
};

const dispatcher = createDispatcher({
  queue,
  clock: systemClock,
  metrics,
  logger,
  aheadMs: config.scheduler.sendAheadMs,
});
port.on("message", (message: ToDispatchThread) => {
  if (message.type === "hold") dispatcher.hold(message.runs);
  else void dispatcher.close().then(() => post({ type: "closed" }));
});
