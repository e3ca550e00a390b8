/**
 * The audit writer: takes each event as its call ends, writes its log line at
 * once and its store copy later, in batches, off the call's path. Memory is
 * bounded: at most `maxQueued` events wait for the store; an event that finds
 * the queue full, or whose batch the store refuses, is lost to the store
 * (its log line is written all the same) and counted in
 * `chronoring_audit_write_failures_total`.
 */

import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import type { AuditEvent } from "../core/audit.js";
import type { AuditStore } from "../core/ports/audit-store.js";

export interface AuditWriter {
  /** Logs the event and queues it for the store; never throws, never waits. */
  record(event: AuditEvent): void;
  /** Resolves when every event queued so far has been written or given up on. */
  flush(): Promise<void>;
  /** Writes what is queued, for at most `timeoutMs`, then stops taking events for the store. */
  close(timeoutMs: number): Promise<void>;
}

export interface AuditWriterOptions {
  store: AuditStore;
  logger: Logger;
  registry: Registry;
  /** Most events waiting for the store. */
  maxQueued: number;
  /** Events per store write (DynamoDB's BatchWriteItem takes 25). */
  batchSize?: number;
}

/** At most one warning per this long while the store keeps failing. */
const WARN_EVERY_MS = 60_000;

export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  const { store, maxQueued } = options;
  const batchSize = options.batchSize ?? 25;
  // At info whatever the process's level, so that the durable copy is never
  // filtered out; `silent` (tests) still silences it.
  const log = options.logger.child(
    { audit: true },
    { level: options.logger.level === "silent" ? "silent" : "info" },
  );
  const failures = new Counter({
    name: "chronoring_audit_write_failures_total",
    help: "Audit events not written to the store (their log line was): the store failed, or the queue was full",
    labelNames: ["reason"],
    registers: [options.registry],
  });
  failures.inc({ reason: "store" }, 0);
  failures.inc({ reason: "queue_full" }, 0);

  const queue: AuditEvent[] = [];
  let draining: Promise<void> | undefined;
  let closed = false;
  let lastWarnMs = Number.NEGATIVE_INFINITY;

  const warn = (err: unknown, lost: number) => {
    const now = Date.now();
    if (now - lastWarnMs < WARN_EVERY_MS) return;
    lastWarnMs = now;
    log.warn({ err: String(err), lost }, "audit events not stored (the log lines hold them)");
  };

  async function drain(): Promise<void> {
    // After the current call's response: the store write never runs in its tick.
    await new Promise((r) => setImmediate(r));
    while (queue.length > 0) {
      const batch = queue.splice(0, batchSize);
      try {
        await store.putEvents(batch);
      } catch (err) {
        failures.inc({ reason: "store" }, batch.length);
        warn(err, batch.length);
      }
    }
  }

  const kick = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (queue.length > 0 && !closed) kick();
    });
  };

  return {
    record(event) {
      log.info(event, "audit");
      if (closed) return;
      if (queue.length >= maxQueued) {
        failures.inc({ reason: "queue_full" });
        warn(new Error(`${maxQueued} audit events already wait for the store`), 1);
        return;
      }
      queue.push(event);
      kick();
    },

    async flush() {
      while (draining) await draining;
    },

    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(r, timeoutMs);
      });
      await Promise.race([this.flush(), timeout]);
      clearTimeout(timer);
      closed = true;
      if (queue.length > 0) {
        failures.inc({ reason: "store" }, queue.length);
        warn(new Error("closing"), queue.length);
        queue.length = 0;
      }
    },
  };
}
