import { Counter, type Registry } from "prom-client";
import type { CapacityCounter } from "../adapters/dynamodb/capacity-counter.js";
import type { WriteCounter } from "../adapters/dynamodb/write-counter.js";

export interface StoreMetrics {
  /** One throttled DynamoDB attempt (retried by the SDK or not), by command name. */
  throttled(command: string): void;
}

/**
 * Exposes the DynamoDB item writes this process made
 * (`chronoring_store_item_writes_total`), its calls and their request units
 * by command (`chronoring_store_requests_total`,
 * `chronoring_store_request_units_total`) and the attempts DynamoDB throttled
 * (`chronoring_store_throttles_total{command}`).
 */
export function registerStoreMetrics(
  registry: Registry,
  writes: WriteCounter,
  capacity?: CapacityCounter,
): StoreMetrics {
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
  if (capacity) {
    const reportedUnits = new Map<string, number>();
    new Counter({
      name: "chronoring_store_request_units_total",
      help: "DynamoDB request units this process's calls would be billed on demand (kind: write, read), by command; estimated from what the SDK sent (src/adapters/dynamodb/capacity-counter.ts)",
      labelNames: ["kind", "command"],
      registers: [registry],
      collect() {
        for (const [command, units] of capacity.snapshot()) {
          for (const kind of ["write", "read"] as const) {
            const key = `${kind} ${command}`;
            const delta = units[kind] - (reportedUnits.get(key) ?? 0);
            if (delta > 0) this.inc({ kind, command }, delta);
            reportedUnits.set(key, units[kind]);
          }
        }
      },
    });
    const reportedCalls = new Map<string, number>();
    new Counter({
      name: "chronoring_store_requests_total",
      help: "DynamoDB calls this process made, by command (one per call, SDK retries not counted): an idle scheduler's cost is counted in these",
      labelNames: ["command"],
      registers: [registry],
      collect() {
        for (const [command, calls] of capacity.requests()) {
          const delta = calls - (reportedCalls.get(command) ?? 0);
          if (delta > 0) this.inc({ command }, delta);
          reportedCalls.set(command, calls);
        }
      },
    });
  }
  const throttles = new Counter({
    name: "chronoring_store_throttles_total",
    help: "DynamoDB attempts throttled (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded, a transaction item's ThrottlingError), retried by the SDK or not, by command",
    labelNames: ["command"],
    registers: [registry],
  });
  return { throttled: (command) => throttles.inc({ command }) };
}
