import { Counter, type Registry } from "prom-client";

/** Metrics of retries and dead runs, beside the worker's own (metrics.ts). */
export interface RetryMetrics {
  /** Failed attempts followed by a retry, by how the retry is delivered. */
  retries: Counter<"via">;
  /** Runs recorded DEAD. */
  dead: Counter;
  /** Dead runs whose message could not be sent to the dead letter queue (the store has them). */
  deadLetterFailures: Counter;
}

export function createRetryMetrics(registry: Registry): RetryMetrics {
  const registers = [registry];
  return {
    retries: new Counter({
      name: "chronoring_retries_scheduled_total",
      help: "Failed attempts followed by a retry, by delivery (queue: sent delayed; store: due later than the queue's delay limit, sent by the recovery sweep)",
      labelNames: ["via"],
      registers,
    }),
    dead: new Counter({
      name: "chronoring_runs_dead_total",
      help: "Runs recorded DEAD (retries exhausted or a permanent failure)",
      registers,
    }),
    deadLetterFailures: new Counter({
      name: "chronoring_dead_letter_send_failures_total",
      help: "Dead runs not sent to the SQS dead letter queue (still on the store's dead list)",
      registers,
    }),
  };
}
