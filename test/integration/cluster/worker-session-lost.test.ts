/**
 * A worker whose cluster session lapses while it runs a job (its etcd stops
 * answering: a partition, here etcd SIGSTOPped) hands the run over: the
 * attempt ends FAILED as "worker lost" and a next attempt runs once the
 * cluster is back. Before, the aborted handler's failure was recorded, and a
 * job without a retry policy lost that run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../deploy/local/backends.js";
import { etcdIsReady, launchEtcd } from "../../../deploy/local/etcd-server.js";
import type { ManagedProcess } from "../../../deploy/local/process.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

describe("a worker that loses its cluster session mid-run", () => {
  let dir: string;
  let etcd: ManagedProcess;
  let api: App;
  let worker: App;
  let jobs: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    // Its own etcd, since this test stops it.
    dir = mkdtempSync(join(tmpdir(), "chronoring-session-lost-"));
    const clientPort = await freePort();
    etcd = await launchEtcd({
      dataDir: join(dir, "etcd"),
      clientPort,
      peerPort: await freePort(),
      logFile: join(dir, "etcd.log"),
    });
    const url = `http://127.0.0.1:${clientPort}`;
    await waitFor("etcd", () => etcdIsReady(url).catch(() => false) || undefined, 30_000);
    const settings = { ETCD_ENDPOINTS: url, SESSION_TTL_MS: "2000" };
    const config = testConfig("session-lost", { ...settings, ROLES: "api,scheduler" });
    api = await startApp(config, { logger: silentLogger });
    await untilOwning(api, config.store.partitions);
    worker = await startApp(
      { ...config, roles: ["worker"], worker: { ...config.worker, id: "w-lost" } },
      { logger: silentLogger },
    );
    jobs = jobClient(api.apiUrl!);
  }, 60_000);
  afterAll(async () => {
    if (etcd && !etcd.hasExited()) process.kill(etcd.pid, "SIGCONT");
    await worker?.close();
    await api?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends the attempt as worker lost and runs the next attempt, instead of recording the aborted call as the run's failure", async () => {
    const created = await jobs.createJob({
      name: "long run",
      owner: "session-lost",
      schedule: { kind: { case: "at", value: timestampFromMs(Date.now()) } },
      target: { kind: { case: "noop", value: { sleep: { seconds: 6n, nanos: 0 } } } },
    });
    const jobId = created.job!.id;
    const attempts = async () =>
      (await jobs.listExecutions({ jobId, pageSize: 10 })).executions.sort(
        (a, b) => a.attempt - b.attempt,
      );
    await waitFor(
      "the first attempt to run",
      async () => (await attempts()).some((e) => e.status === ExecutionStatus.RUNNING) || undefined,
    );
    process.kill(etcd.pid, "SIGSTOP");
    // Past the worker's session deadline (TTL 2 s minus its margin).
    await sleep(3_000);
    process.kill(etcd.pid, "SIGCONT");
    const done = await waitFor(
      "a second attempt to succeed",
      async () => {
        const list = await attempts();
        return list.some((e) => e.attempt === 2 && e.status === ExecutionStatus.SUCCEEDED)
          ? list
          : undefined;
      },
      45_000,
    );
    expect(done[0]!.status).toBe(ExecutionStatus.FAILED);
    expect(done[0]!.error).toMatch(/worker w-lost lost/);
    expect(done.filter((e) => e.status === ExecutionStatus.SUCCEEDED)).toHaveLength(1);
  }, 90_000);
});
