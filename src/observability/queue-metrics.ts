import { Gauge, type Registry } from "prom-client";
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
