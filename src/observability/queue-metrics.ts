import { Counter, Gauge, type Registry } from "prom-client";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { PRIORITIES } from "../core/priority.js";

/** Exposes the run queues' depth on each scrape (`chronoring_queue_depth`). */
export function registerQueueMetrics(registry: Registry, queue: WorkQueue): void {
  new Gauge({
    name: "chronoring_queue_depth",
    help: "Messages in the run queues, by priority and state (visible, in_flight, delayed)",
    labelNames: ["priority", "state"],
    registers: [registry],
    async collect() {
      await Promise.all(
        PRIORITIES.map(async (p) => {
          try {
            const d = await queue.depth(p);
            const priority = p.toLowerCase();
            this.set({ priority, state: "visible" }, d.visible);
            this.set({ priority, state: "in_flight" }, d.inFlight);
            this.set({ priority, state: "delayed" }, d.delayed);
          } catch {
            // the scrape still answers; the gauge keeps its last value
          }
        }),
      );
    },
  });
}

/**
 * `chronoring_queue_requests_total{command}`: the SQS requests this process
 * sent (its threads' included), as SQS bills them. Returns what the clients'
 * `onRequest` calls.
 */
export function createQueueRequestMetric(
  registry: Registry,
): (command: string, requests: number) => void {
  const requests = new Counter({
    name: "chronoring_queue_requests_total",
    help: "SQS requests sent by this process, retries included, as billed (a batch of up to 10 messages is one request per 64 KB), by command",
    labelNames: ["command"],
    registers: [registry],
  });
  return (command, n) => requests.inc({ command }, n);
}
