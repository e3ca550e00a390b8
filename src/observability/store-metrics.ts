import { Counter, type Registry } from "prom-client";
import type { WriteCounter } from "../adapters/dynamodb/write-counter.js";

/** Exposes the DynamoDB item writes this process made (`chronoring_store_item_writes_total`). */
export function registerStoreMetrics(registry: Registry, writes: WriteCounter): void {
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
}
