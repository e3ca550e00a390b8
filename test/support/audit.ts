import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import pino from "pino";
import { Registry } from "prom-client";
import type {
  AuditEvent as AuditEventPb,
  AuditService,
  ListAuditEventsRequestSchema,
} from "../../gen/chronoring/v1/audit_service_pb.js";
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

/** A logger at info whose lines are parsed into `lines` (to read the audit lines back). */
export function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { logger, lines };
}

/** The audit lines among `lines`. */
export function auditLines(lines: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return lines.filter((l) => l.audit === true && l.msg === "audit");
}

/** The events of a ListAuditEvents listing, every page, newest first. */
export async function listAllAuditEvents(
  client: Client<typeof AuditService>,
  request: MessageInitShape<typeof ListAuditEventsRequestSchema> = {},
): Promise<AuditEventPb[]> {
  const events: AuditEventPb[] = [];
  let pageToken = "";
  do {
    const page = await client.listAuditEvents({ ...request, pageToken });
    events.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return events;
}
