/**
 * A frozen store (DynamoDB Local SIGSTOPped: it takes connections and never
 * answers) gives API callers Unavailable naming the store within
 * CHRONORING_API_STORE_TIMEOUT_MS, instead of after the SDK's attempts and
 * per-request timeouts (5 × 10 s by default); once it is resumed, the same
 * calls succeed. This file starts its own DynamoDB Local: the shared one of
 * the other tests is never frozen.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, startOwnedDynamo } from "../../../loadtest/harness/backends.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { connectErrorOf, jobClient } from "../../support/client.js";

const BOUND_MS = 1500;
/** Scheduling noise on a busy 2-core machine; the SDK alone would take 50 s. */
const SLACK_MS = 3000;

const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" }, timeZone: "UTC" };
const noop = { kind: { case: "noop" as const, value: {} } };

let dynamo: Backend;
let app: App;

beforeAll(async () => {
  dynamo = await startOwnedDynamo(() => {});
  const config = testConfig("freeze", {
    DYNAMODB_ENDPOINT: dynamo.url,
    ROLES: "api",
    API_STORE_TIMEOUT_MS: String(BOUND_MS),
  });
  app = await startApp(config, { logger: silentLogger });
}, 120_000);

afterAll(async () => {
  dynamo?.signal("SIGCONT");
  await app?.close();
  await dynamo?.stop();
});

/** The failure of `call`, and how long it took. */
async function timed(call: Promise<unknown>) {
  const t0 = performance.now();
  const err = await connectErrorOf(call);
  return { err, ms: performance.now() - t0 };
}

describe("the API with its store frozen", () => {
  it("answers GetJob and CreateJob with Unavailable naming DynamoDB within the bound, and succeeds once the store is resumed", async () => {
    const jobs = jobClient(app.apiUrl!);
    const { job } = await jobs.createJob({
      name: "before",
      owner: "ops",
      schedule: yearly,
      target: noop,
    });
    const id = job!.id;

    dynamo.signal("SIGSTOP");
    try {
      for (const call of [
        () => jobs.getJob({ id }),
        () => jobs.createJob({ name: "frozen", owner: "ops", schedule: yearly, target: noop }),
      ]) {
        const { err, ms } = await timed(call());
        expect(err.code, err.message).toBe(Code.Unavailable);
        expect(err.rawMessage).toBe("DynamoDB is unavailable, retry later");
        // It waited for the bound, not for something else to fail first.
        expect(ms).toBeGreaterThanOrEqual(BOUND_MS - 100);
        expect(ms).toBeLessThan(BOUND_MS + SLACK_MS);
      }
    } finally {
      dynamo.signal("SIGCONT");
    }

    expect((await jobs.getJob({ id })).job?.name).toBe("before");
    const { job: after } = await jobs.createJob({
      name: "after",
      owner: "ops",
      schedule: yearly,
      target: noop,
    });
    expect((await jobs.getJob({ id: after!.id })).job?.name).toBe("after");
  });
});
