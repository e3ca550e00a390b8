/**
 * `chronoring dlq`, `calendars`, `workflows` and `cluster` as a user runs
 * them (the bin, a child process) against a real app in cluster mode with
 * auth on: a run made dead by a refused port is listed, redriven and purged;
 * a calendar and a workflow go through their basics; cluster status shows the
 * leader, the partitions per node and the worker, which can be paused and
 * resumed. Every `--json` is the API's own proto JSON for the same call.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CalendarService,
  GetCalendarResponseSchema,
} from "../../../gen/chronoring/v1/calendar_service_pb.js";
import {
  ClusterService,
  GetClusterResponseSchema,
} from "../../../gen/chronoring/v1/cluster_service_pb.js";
import {
  DeadLetterService,
  ListDeadRunsResponseSchema,
} from "../../../gen/chronoring/v1/dead_letter_service_pb.js";
import {
  GetWorkflowResponseSchema,
  WorkflowRunStatus,
  WorkflowService,
} from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import type { Config } from "../../../src/config/config.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { type CliOptions, cli, cliJson, cliOk } from "../../support/cli.js";
import { waitFor } from "../../support/wait.js";

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

describe("chronoring dlq, calendars, workflows and cluster against a running server", () => {
  let auth: TestAuth;
  let config: Config;
  let app: App;
  let o: CliOptions;
  let token: string;
  let dir: string;

  beforeAll(async () => {
    auth = await testAuth();
    config = testConfig("cli-ops", auth.settings);
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    token = await auth.token({ roles: ["admin"] });
    o = { url: app.apiUrl!, token };
    dir = mkdtempSync(join(tmpdir(), "chronoring-cli-"));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Waits through the API for the run's attempt to be dead (a CLI process per
   * poll would cost a second of CPU each); the tests read the list with the CLI after.
   */
  async function untilDead(jobId: string, id: string): Promise<void> {
    const dead = authedClient(DeadLetterService, o.url!, token);
    await waitFor(
      `run ${id} to be dead`,
      async () =>
        (await dead.listDeadRuns({ jobId })).executions.some((e) => e.id === id) ? true : undefined,
      60_000,
    );
  }

  /** Triggers the job and waits for its run to be dead; returns the run's id. */
  async function deadRun(jobId: string): Promise<string> {
    const { execution } = await cliJson<{ execution: { id: string } }>(
      ["jobs", "trigger", jobId],
      o,
    );
    await untilDead(jobId, execution.id);
    return execution.id;
  }

  it("lists, redrives and purges a dead run", { timeout: 180_000 }, async () => {
    // A closed port refuses; ALWAYS with no retries left makes the first failure
    // dead (without a policy a failure stays FAILED and is not dead-lettered).
    // A yearly cron: the trigger makes the only run.
    const port = await closedPort();
    const { job } = await cliJson<{ job: { id: string } }>(
      [
        ...["jobs", "create", "--name", "refused", "--owner", "team-cli", "--cron", "0 0 1 1 *"],
        ...["--http-url", `http://127.0.0.1:${port}/hook`, "--timeout", "2s"],
        ...["--retry", "always", "--max-retries", "0"],
      ],
      o,
    );
    const first = await deadRun(job.id);

    const listed = await cliOk(["dlq", "list", "--job", job.id], o);
    const [header, row] = listed.split("\n");
    expect(header).toMatch(/^ID\s+STATUS\s+SCHEDULED \(UTC\)\s+TOOK\s+WORKER\s+ERROR$/);
    expect(row).toMatch(new RegExp(`^${first}\\s+DEAD\\s`));
    const dead = authedClient(DeadLetterService, o.url!, token);
    expect(await cliJson(["dlq", "list", "--job", job.id], o)).toEqual(
      toJson(ListDeadRunsResponseSchema, await dead.listDeadRuns({ jobId: job.id })),
    );

    // Redrive by id: a new attempt of the same run, which dies again.
    const redriven = await cliJson<{ executions: Array<{ id: string; attempt: number }> }>(
      ["dlq", "redrive", first],
      o,
    );
    expect(redriven.executions).toHaveLength(1);
    expect(redriven.executions[0]!.id).not.toBe(first);
    const again = redriven.executions[0]!.id;
    await untilDead(job.id, again);
    expect(await cliOk(["dlq", "list", "--job", job.id], o)).toContain(again);

    // A selection asks first; without a terminal only --yes goes ahead.
    const refused = await cli(["dlq", "purge", "--job", job.id], o);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Purge 1 dead run\(s\) of job_\w+\? Refused: .*--yes/);
    expect(await cliJson(["dlq", "purge", "--job", job.id, "--yes"], o)).toEqual({ purged: 1 });
    expect((await cliOk(["dlq", "list", "--job", job.id], o)).trim()).toMatch(/^ID\s+STATUS/);
  });

  it("creates, lists, updates and deletes a calendar", { timeout: 60_000 }, async () => {
    const created = await cliOk(
      [
        ...["calendars", "create", "cli-holidays", "--description", "closed"],
        ...["--date", "2026-12-25,2026-12-26", "--weekday", "saturday,sunday"],
      ],
      o,
    );
    expect(created).toMatch(/^excluded dates: +2026-12-25, 2026-12-26$/m);
    expect(created).toMatch(/^excluded weekdays: +SATURDAY,SUNDAY$/m);

    const list = await cliOk(["calendars", "list"], o);
    expect(list.split("\n")[0]).toMatch(/^NAME\s+DATES\s+WEEKDAYS\s+VERSION\s+DESCRIPTION$/);
    expect(list).toMatch(/^cli-holidays\s+2\s+SATURDAY,SUNDAY\s+1\s+closed$/m);

    const updated = await cliJson<{ calendar: { excludedDates: string[]; description: string } }>(
      [
        "calendars",
        "update",
        "cli-holidays",
        "--add-date",
        "2027-01-01",
        "--remove-date",
        "2026-12-26",
      ],
      o,
    );
    expect(updated.calendar).toMatchObject({
      excludedDates: ["2026-12-25", "2027-01-01"],
      description: "closed",
    });
    const calendars = authedClient(CalendarService, o.url!, token);
    expect(await cliJson(["calendars", "get", "cli-holidays"], o)).toEqual(
      toJson(GetCalendarResponseSchema, await calendars.getCalendar({ name: "cli-holidays" })),
    );

    expect(await cliOk(["calendars", "delete", "cli-holidays"], o)).toMatch(/deleted/);
    expect((await cli(["calendars", "get", "cli-holidays"], o)).code).toBe(4);
  });

  it("creates a workflow from YAML, triggers it and shows its run", {
    timeout: 120_000,
  }, async () => {
    const file = join(dir, "workflow.yaml");
    writeFileSync(
      file,
      [
        "name: cli etl",
        "owner: team-cli",
        "schedule:",
        "  interval: 1h",
        "nodes:",
        "  - key: extract",
        "    target: { noop: {} }",
        "  - key: load",
        "    dependsOn: [extract]",
        "    target: { noop: {} }",
        "",
      ].join("\n"),
    );
    const { workflow } = await cliJson<{ workflow: { id: string; nodes: unknown[] } }>(
      ["workflows", "create", "-f", file],
      o,
    );
    expect(workflow.nodes).toHaveLength(2);
    const shown = await cliOk(["workflows", "get", workflow.id], o);
    expect(shown).toMatch(/^load\s+extract\s+noop/m);
    const wf = authedClient(WorkflowService, o.url!, token);
    expect(await cliJson(["workflows", "get", workflow.id], o)).toEqual(
      toJson(GetWorkflowResponseSchema, await wf.getWorkflow({ id: workflow.id })),
    );
    expect(await cliOk(["workflows", "list", "--owner", "team-cli"], o)).toMatch(
      new RegExp(`^${workflow.id}\\s+cli etl\\s+ACTIVE`, "m"),
    );

    const { runId } = await cliJson<{ runId: string }>(["workflows", "trigger", workflow.id], o);
    const workflows = authedClient(WorkflowService, o.url!, token);
    // The run is recorded when its trigger job runs, after the trigger answers: NotFound until then.
    await waitFor(
      "the workflow run to succeed",
      async () => {
        const got = await workflows
          .getWorkflowRun({ id: runId })
          .catch((e) =>
            ConnectError.from(e).code === Code.NotFound ? undefined : Promise.reject(e),
          );
        return got?.run?.status === WorkflowRunStatus.SUCCEEDED ? true : undefined;
      },
      60_000,
    );
    expect(await cliOk(["workflows", "runs", workflow.id], o)).toMatch(
      new RegExp(`^${runId}\\s+SUCCEEDED`, "m"),
    );
    const run = await cliOk(["workflows", "runs", runId], o);
    expect(run).toMatch(/^extract\s+SUCCEEDED/m);
    expect(run).toMatch(/^load\s+SUCCEEDED/m);

    expect(await cliOk(["workflows", "delete", workflow.id], o)).toMatch(/DELETED/);
  });

  it("shows the cluster, and pauses and resumes its worker", { timeout: 60_000 }, async () => {
    const status = await cliOk(["cluster", "status"], o);
    const nodeId = config.cluster.nodeId;
    expect(status).toMatch(new RegExp(`^leader: +${nodeId}$`, "m"));
    expect(status).toMatch(new RegExp(`^partitions: +${config.store.partitions}$`, "m"));
    // One process holds every role here: it owns every partition and is the worker.
    expect(status).toMatch(/^MEMBER\s+ROLE\s+PARTITIONS\s+IN FLIGHT\s+PAUSED\s+JOINED$/m);
    expect(status).toMatch(new RegExp(`^${nodeId} \\(leader\\)\\s+scheduler\\s+8: 0-7`, "m"));

    expect(status).toMatch(
      new RegExp(`^${config.worker.id}\\s+worker\\s+-\\s+\\d+/\\d+\\s+no\\s`, "m"),
    );

    const cluster = authedClient(ClusterService, o.url!, token);
    const json = await cliJson<{ cluster: unknown }>(["cluster", "status"], o);
    expect(json.cluster).toEqual(toJson(GetClusterResponseSchema, await cluster.getCluster({})));

    const worker = config.worker.id;
    expect(await cliOk(["cluster", "pause-worker", worker], o)).toMatch(/^paused: +yes$/m);
    expect(await cliOk(["cluster", "resume-worker", worker], o)).toMatch(/^paused: +no$/m);
  });
});
