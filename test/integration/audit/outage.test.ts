/**
 * The audit store down, on the real app: its writes go to a port that takes
 * connections and never answers (as a stopped DynamoDB does), then to a
 * closed port. Changes still succeed while a store write hangs, each is
 * still logged, the queue stays within CHRONORING_AUDIT_QUEUE_MAX, and every
 * event lost to the store is counted in chronoring_audit_write_failures_total.
 */

import { createServer, type Server, type Socket } from "node:net";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { createAdapters } from "../../../src/adapters/from-config.js";
import { type App, startApp } from "../../../src/app.js";
import type { AuditStore } from "../../../src/core/ports/audit-store.js";
import { testConfig } from "../../support/app.js";
import { auditLines, capturingLogger } from "../../support/audit.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { waitFor } from "../../support/wait.js";

const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" }, timeZone: "UTC" };
const noop = { kind: { case: "noop" as const, value: { sleep: durationFromMs(0) } } };

/** A TCP port that accepts connections and reads requests, but never answers. */
interface HungPort {
  port: number;
  /** What the connections have sent so far. */
  received(): string;
  /** Drops every connection and stops listening: later writes are refused. */
  close(): Promise<void>;
}

async function hungPort(): Promise<HungPort> {
  const sockets = new Set<Socket>();
  let received = "";
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    received: () => received,
    close: async () => {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

let auth: TestAuth;
let app: App;
let hung: HungPort;
const { logger, lines } = capturingLogger();

beforeAll(async () => {
  auth = await testAuth();
  hung = await hungPort();
  const settings = { ROLES: "api", ...auth.settings, AUDIT_QUEUE_MAX: "2" };
  // The audit store as the app builds it, but on the hung port: one attempt,
  // and a timeout longer than the test, so that its first write hangs until
  // the port closes.
  const down = createAdapters(
    testConfig("audit-outage", {
      ...settings,
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${hung.port}`,
      AWS_MAX_ATTEMPTS: "1",
      AWS_REQUEST_TIMEOUT_MS: "120000",
    }),
  ).audit;
  // The store went down after the table was made: init finds it in place.
  const auditStore: AuditStore = {
    init: async () => {},
    putEvents: (events) => down.putEvents(events),
    listEvents: (query) => down.listEvents(query),
  };
  app = await startApp(testConfig("audit-outage", settings), { logger, auditStore });
});
afterAll(async () => {
  await hung?.close();
  await app?.close();
  auth?.cleanup();
});

async function failures(reason: "store" | "queue_full"): Promise<number> {
  const metric = await app.registry.getSingleMetric("chronoring_audit_write_failures_total")?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe("the audit store down", () => {
  it("neither fails nor holds up a change; the lines are logged and the lost writes counted", async () => {
    const jobs = authedClient(
      JobService,
      app.apiUrl!,
      await auth.token({ tenant: "acme", roles: ["editor"], sub: "alice" }),
    );
    const create = (i: number) =>
      jobs.createJob(
        { name: `j${i}`, owner: "o", schedule: yearly, target: noop },
        { headers: { "x-request-id": `down-${i}` } },
      );

    await create(0);
    // The first event's write has reached the store, which does not answer.
    await waitFor("the audit write to hang", () =>
      hung.received().includes("BatchWriteItem") ? true : undefined,
    );
    // Changes made while that write hangs all succeed, with the write still pending.
    for (let i = 1; i <= 4; i++) {
      const { job } = await create(i);
      expect(job?.id).toMatch(/.+/);
    }
    expect(await failures("store")).toBe(0);
    // Two wait (the cap), the other two found the queue full.
    expect(await failures("queue_full")).toBe(2);

    // Each change is logged, whatever became of its store copy.
    const logged = auditLines(lines);
    for (let i = 0; i <= 4; i++) {
      expect(logged.filter((l) => l.correlationId === `down-${i}`)).toEqual([
        expect.objectContaining({ method: "CreateJob", subject: "alice", code: "ok" }),
      ]);
    }

    // The store fails outright: the hung write and the two queued are counted lost.
    await hung.close();
    await waitFor("the lost writes counted", async () =>
      (await failures("store")) === 3 ? true : undefined,
    );
    // And a change made now still succeeds.
    await create(5);
    await waitFor("its lost write counted", async () =>
      (await failures("store")) === 4 ? true : undefined,
    );
    expect(auditLines(lines).filter((l) => l.correlationId === "down-5")).toHaveLength(1);
  });
});
