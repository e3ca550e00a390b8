/**
 * SSRF protection at connect time, end to end in one process (api +
 * scheduler + worker) on DynamoDB Local and the SQS emulator, with loopback
 * NOT admitted (only 127.0.0.2/32 is, for the redirector). Each refusal is
 * proved on a real listener that counts zero connections:
 * - a host name that resolves to 127.0.0.1 (`localhost`) passes the API (it is
 *   a name) and is refused when the worker connects: the run fails, not retried;
 * - a redirect to a private address is not followed;
 * - a webhook job and a notification webhook get the same protection.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Execution, ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { NotifyEvent } from "../../../gen/chronoring/v1/notification_pb.js";
import { RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { type CountingServer, countingServer } from "../../support/targets.js";
import { waitFor } from "../../support/wait.js";

const NOW = { kind: { case: "after" as const, value: { seconds: 0n, nanos: 0 } } };
const REFUSED_LOCALHOST =
  /^refused to connect to localhost: it resolves to (127\.0\.0\.1, a loopback address \(127\.0\.0\.0\/8\)|::1, a loopback address \(::1\/128\)); CHRONORING_TARGET_ALLOW does not admit it$/;

describe("targets are checked where the worker connects", () => {
  let app: App;
  let jobs: ReturnType<typeof jobClient>;
  /** On 127.0.0.1, reached only by the name `localhost`: must see no connection. */
  let inside: CountingServer;
  /** On 127.0.0.3, the redirect's destination: must see no connection. */
  let hidden: CountingServer;
  /** On 127.0.0.2 (admitted): answers 302 to `hidden`. */
  let redirector: CountingServer;

  beforeAll(async () => {
    inside = await countingServer("127.0.0.1");
    hidden = await countingServer("127.0.0.3");
    redirector = await countingServer("127.0.0.2", (_req, res) => {
      res.writeHead(302, { location: `${hidden.base}/` });
      res.end();
    });
    const config = testConfig("ssrf-run", {
      ETCD_ENDPOINTS: "",
      TARGET_ALLOW: "127.0.0.2/32",
      NOTIFY_ATTEMPTS: "3",
      NOTIFY_BACKOFF_MS: "50",
    });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    jobs = jobClient(app.apiUrl!);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([inside?.close(), hidden?.close(), redirector?.close()]);
  });

  /** The job's runs once they have exactly `statuses`, in attempt order. */
  function runs(jobId: string, statuses: ExecutionStatus[]): Promise<Execution[]> {
    const want = statuses.map((s) => ExecutionStatus[s]).join(",");
    return waitFor(`runs of ${jobId} to be ${want}`, async () => {
      const { executions } = await jobs.listExecutions({ jobId });
      const list = [...executions].sort((a, b) => a.attempt - b.attempt);
      return list.map((e) => ExecutionStatus[e.status]).join(",") === want ? list : undefined;
    });
  }

  it("an http job whose host name resolves to 127.0.0.1 fails at connect, nothing sent", async () => {
    const { job } = await jobs.createJob({
      name: "rebound",
      owner: "ssrf",
      schedule: NOW,
      target: { kind: { case: "http", value: { url: `http://localhost:${inside.port}/` } } },
    });
    const [run] = await runs(job!.id, [ExecutionStatus.FAILED]);
    expect(run!.error).toMatch(REFUSED_LOCALHOST);
    expect(inside.connections()).toBe(0);
  });

  it("the refusal is permanent: a retry policy ON_FAILURE does not retry it", async () => {
    const { job } = await jobs.createJob({
      name: "rebound, with retries",
      owner: "ssrf",
      schedule: NOW,
      target: { kind: { case: "http", value: { url: `http://localhost:${inside.port}/r` } } },
      retryPolicy: {
        strategy: RetryStrategy.ON_FAILURE,
        maxRetries: 3,
        retryDelay: { seconds: 0n, nanos: 0 },
      },
    });
    const [run] = await runs(job!.id, [ExecutionStatus.DEAD]);
    expect(run!.error).toMatch(/^permanent failure: refused to connect to localhost: /);
    expect(inside.connections()).toBe(0);
  });

  it("a redirect to a private address is not followed: the run fails naming it", async () => {
    const { job } = await jobs.createJob({
      name: "redirected",
      owner: "ssrf",
      schedule: NOW,
      target: { kind: { case: "http", value: { url: `${redirector.base}/go` } } },
    });
    const [run] = await runs(job!.id, [ExecutionStatus.FAILED]);
    expect(run!.error).toBe(`HTTP 302 (redirect to ${hidden.base}/, not followed)`);
    expect(redirector.requests).toEqual(["/go"]);
    expect(hidden.connections()).toBe(0);
  });

  it("a webhook job gets the same protection", async () => {
    const { job } = await jobs.createJob({
      name: "webhook inward",
      owner: "ssrf",
      schedule: NOW,
      target: {
        kind: { case: "webhook", value: { url: `http://localhost:${inside.port}/hook` } },
      },
    });
    const [run] = await runs(job!.id, [ExecutionStatus.FAILED]);
    expect(run!.error).toMatch(REFUSED_LOCALHOST);
    expect(inside.connections()).toBe(0);
  });

  it("a notification webhook gets the same protection: given up on, nothing sent", async () => {
    const { job } = await jobs.createJob({
      name: "notifies inward",
      owner: "ssrf",
      schedule: NOW,
      target: { kind: { case: "noop", value: {} } },
      notifications: {
        targets: [
          {
            events: [NotifyEvent.SUCCEEDED],
            kind: { case: "webhook", value: { url: `http://localhost:${inside.port}/notify` } },
          },
        ],
      },
    });
    await runs(job!.id, [ExecutionStatus.SUCCEEDED]);
    await waitFor("the notifier to give up", async () => {
      const text = await app.registry.metrics();
      return /chronoring_notifications_total\{channel="webhook",outcome="failed"\} 1\b/.test(text)
        ? true
        : undefined;
    });
    expect(inside.connections()).toBe(0);
    expect(inside.requests).toEqual([]);
  });
});
