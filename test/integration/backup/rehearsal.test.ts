/**
 * The disaster-recovery rehearsal: stack A fires schedules and is backed up
 * (`chronoring backup`, its own process); A is destroyed (processes closed,
 * tables deleted); the backup is restored (`chronoring restore`) into a fresh
 * stack B (new tables, queues and etcd prefix). B goes on firing on time; no
 * run that finished before the backup runs again (same execution ids, same
 * start times); runs missed in the gap follow each job's misfire policy
 * (SKIP: counted as missed, never run; FIRE_ALL: every one run).
 * Real etcd, DynamoDB Local and the SQS emulator.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { afterAll, describe, expect, it } from "vitest";
import { type Execution, ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { MisfireMode } from "../../../gen/chronoring/v1/schedule_pb.js";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, testStores, untilOwning } from "../../support/app.js";
import { cli } from "../../support/cli.js";
import { storeEnv } from "../../support/cli-process.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const GAP_MS = 6_000;
const THRESHOLD_MS = 2_000;
/** "On time" on a shared test machine; the promise is under a second. */
const ON_TIME_MS = 1_500;

const dir = mkdtempSync(join(tmpdir(), "chronoring-backup-"));
const apps: App[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function stack(label: string) {
  const config = testConfig(label, { WORKER_ID: `worker-${label}` });
  const cluster = { ...config.cluster, nodeId: `node-${label}` };
  const start = async () => {
    const app = await startApp({ ...config, cluster }, { logger: silentLogger });
    apps.push(app);
    await untilOwning(app, config.store.partitions);
    return { app, client: jobClient(app.apiUrl!) };
  };
  return { config, start };
}

const every = (mode: MisfireMode) => ({
  kind: { case: "interval" as const, value: "1s" },
  misfire: {
    mode,
    threshold: durationFromMs(THRESHOLD_MS),
    ...(mode === MisfireMode.FIRE_ALL && { maxCatchUp: 1000 }),
  },
});

async function executions(client: ReturnType<typeof jobClient>, jobId: string) {
  const all: Execution[] = [];
  let pageToken = "";
  do {
    const page = await client.listExecutions({ jobId, pageSize: 500, pageToken });
    all.push(...page.executions);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return all;
}

const ms = (e: Execution, field: "scheduledTime" | "startTime") =>
  e[field] ? timestampMs(e[field]) : undefined;

describe("backup of stack A, restored into stack B", () => {
  it("B fires on time, runs nothing that finished again, and applies misfire policies to the gap", async () => {
    const a = await stack("dr-a");
    const { app: appA, client: clientA } = await a.start();
    const target = { kind: { case: "noop" as const, value: {} } };
    const create = async (name: string, mode: MisfireMode) =>
      (await clientA.createJob({ name, owner: "ops", schedule: every(mode), target })).job!;
    const skip = await create("skip", MisfireMode.SKIP);
    const all = await create("fire all", MisfireMode.FIRE_ALL);
    for (const job of [skip, all]) {
      await waitFor(
        `runs of ${job.name} in A`,
        async () => {
          const done = (await executions(clientA, job.id)).filter(
            (e) => e.status === ExecutionStatus.SUCCEEDED,
          );
          return done.length >= 3 ? true : undefined;
        },
        20_000,
      );
    }

    // What A had finished before the backup began: certainly in it. (A run that
    // finishes while the backup reads may be copied before or after its end.)
    const finished = new Map<string, Execution[]>();
    for (const job of [skip, all]) {
      finished.set(
        job.id,
        (await executions(clientA, job.id)).filter((e) => e.status === ExecutionStatus.SUCCEEDED),
      );
    }
    const backup = await cli(["backup", "--to", dir, "--quiet", "--json"], {
      env: storeEnv(a.config),
    });
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    const summary = JSON.parse(backup.stdout) as { items: Record<string, number> };
    expect(summary.items.jobs).toBeGreaterThanOrEqual(3); // two jobs and the partition count

    const backupEndMs = Date.now();

    // A is destroyed: its processes stop, its tables go.
    await appA.close();
    apps.splice(apps.indexOf(appA), 1);
    const { client: dynamoA } = await testStores(a.config);
    for (const table of Object.values(tableNames(a.config.store.tablePrefix))) {
      await dynamoA.send(new DeleteTableCommand({ TableName: table }));
    }
    await new Promise((r) => setTimeout(r, GAP_MS));

    const b = await stack("dr-b");
    const restore = await cli(["restore", "--from", dir, "--quiet", "--json"], {
      env: storeEnv(b.config),
    });
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    const bStartMs = Date.now();
    const { client: clientB } = await b.start();

    // B catches up and goes on: a few runs after its start.
    for (const job of [skip, all]) {
      await waitFor(
        `runs of ${job.name} in B`,
        async () => {
          const runs = (await executions(clientB, job.id)).filter(
            (e) =>
              e.status === ExecutionStatus.SUCCEEDED && ms(e, "scheduledTime")! > bStartMs + 1000,
          );
          return runs.length >= 3 ? true : undefined;
        },
        30_000,
      );
    }

    for (const job of [skip, all]) {
      const inB = new Map((await executions(clientB, job.id)).map((e) => [e.id, e]));
      // Nothing A finished ran again: same ids, same start times, one attempt each.
      for (const done of finished.get(job.id)!) {
        const copy = inB.get(done.id);
        expect(copy?.status, done.id).toBe(ExecutionStatus.SUCCEEDED);
        expect(ms(copy!, "startTime")).toBe(ms(done, "startTime"));
      }
      const lastFinished = Math.max(...finished.get(job.id)!.map((e) => ms(e, "scheduledTime")!));
      for (const e of inB.values()) {
        if (ms(e, "startTime")! > bStartMs) {
          expect(ms(e, "scheduledTime")!, e.id).toBeGreaterThan(lastFinished);
          expect(e.attempt, e.id).toBe(1);
        }
      }
      // On time once caught up: the runs scheduled after B started.
      const late = [...inB.values()]
        .filter((e) => ms(e, "scheduledTime")! > bStartMs + 2000 && e.startTime)
        .map((e) => ms(e, "startTime")! - ms(e, "scheduledTime")!);
      expect(late.length).toBeGreaterThan(0);
      expect(Math.max(...late)).toBeLessThan(ON_TIME_MS);
    }

    // The gap: SKIP dropped it (counted), FIRE_ALL ran every second of it.
    const gapRuns = async (jobId: string) =>
      (await executions(clientB, jobId)).filter((e) => {
        const at = ms(e, "scheduledTime")!;
        return at > backupEndMs + 1000 && at < bStartMs - THRESHOLD_MS;
      });
    const skipped = (await clientB.getJob({ id: skip.id })).job!;
    expect(Number(skipped.missedRuns)).toBeGreaterThanOrEqual(GAP_MS / 1000 - 2);
    expect(await gapRuns(skip.id)).toEqual([]);
    expect((await gapRuns(all.id)).length).toBeGreaterThanOrEqual(GAP_MS / 1000 - 3);
    expect(Number((await clientB.getJob({ id: all.id })).job!.missedRuns)).toBe(0);
  });
});
