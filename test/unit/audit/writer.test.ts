/**
 * The audit writer: every event's log line at once (at info, even under a
 * logger set to warn), its store copy later in batches; when the store fails
 * or the queue is full the events are counted as lost to the store, never
 * thrown at the caller, and memory stays bounded.
 */

import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../../src/core/audit.js";
import { testAuditWriter } from "../../support/audit.js";

let seq = 0;
function event(over: Partial<AuditEvent> = {}): AuditEvent {
  seq++;
  return {
    id: `01J${String(seq).padStart(23, "0")}`,
    atMs: 1_790_000_000_000 + seq,
    subject: "alice",
    tenant: "acme",
    role: "editor",
    service: "chronoring.v1.JobService",
    method: "CreateJob",
    resourceIds: [`job_${seq}`],
    readOnly: false,
    code: "ok",
    correlationId: `cid-${seq}`,
    ...over,
  };
}

describe("the audit writer", () => {
  it("logs each event at once, with audit: true, and stores it in batches afterwards", async () => {
    const t = testAuditWriter({ batchSize: 2 });
    const events = [event(), event(), event()];
    for (const e of events) t.writer.record(e);
    // Nothing is stored in the recording tick: the store write comes later.
    expect(t.store.batches).toEqual([]);
    expect(t.lines.map((l) => [l.audit, l.level, l.msg, l.id, l.correlationId])).toEqual(
      events.map((e) => [true, 30, "audit", e.id, e.correlationId]),
    );
    expect(t.lines[0]).toMatchObject({
      subject: "alice",
      tenant: "acme",
      role: "editor",
      method: "CreateJob",
      resourceIds: [events[0]!.resourceIds[0]],
      code: "ok",
    });
    await t.writer.flush();
    expect(t.store.batches.map((b) => b.length)).toEqual([2, 1]);
    expect(t.store.events()).toEqual(events);
    expect(await t.failures("store")).toBe(0);
  });

  it("counts a failed batch as lost to the store, logs it anyway, and goes on", async () => {
    const t = testAuditWriter();
    t.store.down = true;
    t.writer.record(event());
    t.writer.record(event());
    await t.writer.flush();
    expect(await t.failures("store")).toBe(2);
    expect(t.lines.filter((l) => l.msg === "audit")).toHaveLength(2);
    expect(t.lines.some((l) => l.level === 40 && /not stored/.test(String(l.msg)))).toBe(true);
    t.store.down = false;
    const later = event();
    t.writer.record(later);
    await t.writer.flush();
    expect(t.store.events()).toEqual([later]);
  });

  it("holds at most maxQueued events while the store hangs; the rest reach only the log", async () => {
    const t = testAuditWriter({ maxQueued: 3, batchSize: 1 });
    let release = () => {};
    t.store.gate = new Promise<void>((r) => {
      release = r;
    });
    t.writer.record(event());
    // The first batch is taken off the queue and hangs in the store.
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) t.writer.record(event());
    expect(await t.failures("queue_full")).toBe(2);
    expect(t.lines.filter((l) => l.msg === "audit")).toHaveLength(6);
    t.store.gate = undefined;
    release();
    await t.writer.flush();
    expect(t.store.events()).toHaveLength(4);
  });

  it("writes what is queued on close, and gives up on a store that hangs past the timeout", async () => {
    const t = testAuditWriter();
    t.writer.record(event());
    await t.writer.close(5_000);
    expect(t.store.events()).toHaveLength(1);

    const hung = testAuditWriter({ batchSize: 1 });
    hung.store.gate = new Promise<void>(() => {});
    hung.writer.record(event());
    hung.writer.record(event());
    await hung.writer.close(50);
    // One batch hangs in the store; the one still queued is counted lost.
    expect(await hung.failures("store")).toBe(1);
    hung.writer.record(event());
    expect(hung.lines.filter((l) => l.msg === "audit")).toHaveLength(3);
  });
});
