import pino from "pino";
import { Registry } from "prom-client";
import { type AuditWriter, createAuditWriter } from "../../src/audit/writer.js";
import type { AuditEvent } from "../../src/core/audit.js";
import type { AuditStore } from "../../src/core/ports/audit-store.js";

/**
 * An audit store in memory, for unit tests of the writer and the
 * interceptor (the DynamoDB store has its integration tests): it keeps each
 * batch, and fails while `down` is set.
 */
export interface MemoryAuditStore extends AuditStore {
  batches: AuditEvent[][];
  events(): AuditEvent[];
  down: boolean;
  /** While set, each write waits for it (a store that hangs). */
  gate?: Promise<void>;
}

export function memoryAuditStore(): MemoryAuditStore {
  const store: MemoryAuditStore = {
    batches: [],
    down: false,
    events: () => store.batches.flat(),
    init: async () => {},
    async putEvents(events) {
      if (store.gate) await store.gate;
      if (store.down) throw new Error("store down");
      store.batches.push([...events]);
    },
    listEvents: async () => ({ items: store.events() }),
  };
  return store;
}

/** A writer on a memory store whose log lines are parsed into `lines`. */
export function testAuditWriter(options: { maxQueued?: number; batchSize?: number } = {}): {
  writer: AuditWriter;
  store: MemoryAuditStore;
  lines: Array<Record<string, unknown>>;
  registry: Registry;
  failures(reason: "store" | "queue_full"): Promise<number>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "warn" }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const store = memoryAuditStore();
  const registry = new Registry();
  const writer = createAuditWriter({
    store,
    logger,
    registry,
    maxQueued: options.maxQueued ?? 1000,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
  return {
    writer,
    store,
    lines,
    registry,
    failures: async (reason) => {
      const metric = await registry.getSingleMetric("chronoring_audit_write_failures_total")?.get();
      return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
    },
  };
}
