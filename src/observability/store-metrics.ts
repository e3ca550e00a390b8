import { Counter, type Registry } from "prom-client";
import type { WriteCounter } from "../adapters/dynamodb/write-counter.js";

export interface StoreMetrics {
  /** One throttled DynamoDB attempt (retried by the SDK or not), by command name. */
  throttled(command: string): void;
}

/**
 * Exposes the DynamoDB item writes this process made
 * (`chronoring_store_item_writes_total`) and the attempts DynamoDB throttled
 * (`chronoring_store_throttles_total{command}`).
 */
export function registerStoreMetrics(registry: Registry, writes: WriteCounter): StoreMetrics {
  let reported = 0;
  new Counter({
    name: "chronoring_store_item_writes_total",
    help: "DynamoDB item writes made by this process (transaction actions and batch items counted one by one)",
    registers: [registry],
    collect() {
      const now = writes.count;
      if (now > reported) this.inc(now - reported);
      reported = now;
    },
  });
  const throttles = new Counter({
    name: "chronoring_store_throttles_total",
    help: "DynamoDB attempts throttled (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded, a transaction item's ThrottlingError), retried by the SDK or not, by command",
    labelNames: ["command"],
    registers: [registry],
  });
  return { throttled: (command) => throttles.inc({ command }) };
}
