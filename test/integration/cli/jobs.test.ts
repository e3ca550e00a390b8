/**
 * `chronoring jobs` and `chronoring runs` as a user runs them (the bin, a
 * child process) against a real app with auth on: a job's whole lifecycle
 * from flags and from files, tables and `--json` that is the API's own proto
 * JSON, runs appearing after a trigger, `runs watch` seeing a new run until
 * it is stopped, updates keeping the fields not given, bulk delete, paging.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import {
  GetExecutionResponseSchema,
  GetJobResponseSchema,
  JobService,
  ListFiresResponseSchema,
  ListJobsResponseSchema,
} from "../../../gen/chronoring/v1/job_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { type CliOptions, cli, cliJson, cliOk, spawnCli } from "../../support/cli.js";
import { waitFor } from "../../support/wait.js";

interface JobJson {
  id: string;
  name: string;
  status: string;
  version: string;
  schedule: Record<string, unknown>;
  tags?: string[];
}

describe("chronoring jobs and runs against a running server", () => {
  let auth: TestAuth;
  let app: App;
  let o: CliOptions;
  let api: Client<typeof JobService>;
  let dir: string;

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("cli-jobs", auth.settings);
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    const token = await auth.token({ roles: ["admin"] });
    o = { url: app.apiUrl!, token };
    api = authedClient(JobService, app.apiUrl!, token);
    dir = mkdtempSync(join(tmpdir(), "chronoring-cli-"));
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The API's proto JSON of GetJob, to compare the CLI's --json with. */
  const apiJob = async (id: string) => toJson(GetJobResponseSchema, await api.getJob({ id }));

  it("runs a job's lifecycle: create, list, get, pause, resume, update, trigger, runs, delete", {
    timeout: 240_000,
  }, async () => {
    // Create from flags; --json is the response's proto JSON, as the API gives it.
    const created = await cliJson<{ job: JobJson }>(
      [
        ...["jobs", "create", "--name", "cli nightly", "--owner", "team-cli"],
        ...["--cron", "0 2 * * *", "--tz", "Europe/Berlin"],
        ...["--http-url", "http://127.0.0.1:9/hook", "--method", "post"],
        ...["--tag", "cli", "--tag", "nightly", "--priority", "high"],
      ],
      o,
    );
    const http = created.job;
    expect(http).toMatchObject({
      name: "cli nightly",
      status: "JOB_STATUS_ACTIVE",
      priority: "PRIORITY_HIGH",
      tags: ["cli", "nightly"],
      schedule: { cron: "0 2 * * *", timeZone: "Europe/Berlin" },
      target: { http: { method: "POST", url: "http://127.0.0.1:9/hook" } },
    });
    expect(created).toEqual(await apiJob(http.id));

    // Create from a YAML file.
    const yamlFile = join(dir, "job.yaml");
    writeFileSync(
      yamlFile,
      [
        "name: cli noop",
        "owner: team-cli",
        "tags: [cli]",
        "schedule:",
        "  interval: 1h",
        "target:",
        "  noop: {}",
        "",
      ].join("\n"),
    );
    const fromFile = (await cliJson<{ job: JobJson }>(["jobs", "create", "-f", yamlFile], o)).job;
    expect(fromFile).toMatchObject({
      name: "cli noop",
      schedule: { interval: "1h" },
      target: { noop: {} },
    });

    // A table for people: a header and a row per job with its id and state.
    const listed = await cliOk(["jobs", "list", "--tag", "cli"], o);
    const [header, ...rows] = listed.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+NAME\s+STATUS\s+SCHEDULE\s+NEXT RUN \(UTC\)\s+OWNER\s+TAGS$/);
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.startsWith(http.id))).toMatch(
      /ACTIVE\s+cron 0 2 \* \* \* Europe\/Berlin\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in \d/,
    );
    // --json: the ListJobs response the API gives for the same filter.
    const listJson = await cliJson(["jobs", "list", "--tag", "cli"], o);
    expect(listJson).toEqual(toJson(ListJobsResponseSchema, await api.listJobs({ tag: "cli" })));

    // get: field by field.
    expect(await cliOk(["jobs", "get", http.id], o)).toMatch(/^status: +ACTIVE$/m);
    expect(await cliJson(["jobs", "get", http.id], o)).toEqual(await apiJob(http.id));

    // pause and resume.
    expect(await cliOk(["jobs", "pause", http.id], o)).toMatch(/^status: +PAUSED$/m);
    expect(await cliOk(["jobs", "resume", http.id], o)).toMatch(/^status: +ACTIVE$/m);

    // update: only the fields given change (the cron stays when only the zone is given).
    const updated = (
      await cliJson<{ job: JobJson }>(
        ["jobs", "update", http.id, "--name", "renamed", "--tz", "UTC"],
        o,
      )
    ).job;
    expect(updated).toMatchObject({
      name: "renamed",
      version: "4",
      schedule: { cron: "0 2 * * *", timeZone: "UTC" },
      tags: ["cli", "nightly"],
      target: { http: { method: "POST" } },
    });
    // An update from a file changes the fields the file holds.
    const patch = join(dir, "patch.json");
    writeFileSync(patch, JSON.stringify({ tags: ["cli", "patched"] }));
    expect(
      (await cliJson<{ job: JobJson }>(["jobs", "update", http.id, "-f", patch], o)).job,
    ).toMatchObject({
      name: "renamed",
      tags: ["cli", "patched"],
    });

    // trigger, then the run appears in runs list and runs get.
    const triggered = await cliJson<{ execution: { id: string; status: string } }>(
      ["jobs", "trigger", fromFile.id],
      o,
    );
    expect(triggered.execution.status).toBe("EXECUTION_STATUS_QUEUED");
    const runId = triggered.execution.id;
    // Waits through the API (a CLI process per poll would cost a second of CPU
    // each), then reads the outcome once as a user does.
    await waitFor(
      "the triggered run to succeed",
      async () =>
        (await api.getExecution({ id: runId })).execution?.status === ExecutionStatus.SUCCEEDED
          ? true
          : undefined,
      60_000,
    );
    expect(
      (await cliOk(["runs", "list", "--job", fromFile.id], o))
        .split("\n")
        .some((l) => l.startsWith(runId) && /\bSUCCEEDED\b/.test(l)),
    ).toBe(true);
    expect(await cliOk(["runs", "get", runId], o)).toMatch(/^status: +SUCCEEDED$/m);
    expect(await cliJson(["runs", "get", runId], o)).toEqual(
      toJson(GetExecutionResponseSchema, await api.getExecution({ id: runId })),
    );

    // delete: CANCELLED.
    expect(await cliOk(["jobs", "delete", http.id], o)).toMatch(/CANCELLED/);
    expect((await api.getJob({ id: http.id })).job?.status).toBe(3);
  });

  it("runs watch prints a new run and its status changes until it is stopped", {
    timeout: 120_000,
  }, async () => {
    const { job } = await cliJson<{ job: JobJson }>(
      ["jobs", "create", "--name", "watched", "--owner", "team-cli", "--interval", "1h", "--noop"],
      o,
    );
    const watch = spawnCli(["runs", "watch", "--job", job.id, "--interval", "300ms"], o);
    try {
      await waitFor(
        "the watch to start",
        () => (watch.stderr().includes("watching") ? true : undefined),
        30_000,
      );
      const { execution } = await cliJson<{ execution: { id: string } }>(
        ["jobs", "trigger", job.id],
        o,
      );
      await waitFor(
        "the watch to see the run succeed",
        () =>
          watch
            .stdout()
            .split("\n")
            .some((l) => l.includes(execution.id) && /\bSUCCEEDED\b/.test(l))
            ? true
            : undefined,
        60_000,
      );
      // Each line is one event: the run first seen, then each change, never the same twice.
      const lines = watch
        .stdout()
        .trim()
        .split("\n")
        .filter((l) => l.includes(execution.id));
      expect(lines[0]).toMatch(/\(new\)/);
      expect(new Set(lines).size).toBe(lines.length);
    } finally {
      watch.child.kill("SIGINT");
    }
    expect(await watch.exited).toBe(0);
  });

  it("lists every page with --all, and deletes the jobs a tag selects with --yes", {
    timeout: 120_000,
  }, async () => {
    for (let i = 0; i < 5; i++) {
      await api.createJob({
        name: `paged ${i}`,
        owner: "team-cli",
        tags: ["paged"],
        schedule: { kind: { case: "interval", value: "1h" } },
        target: { kind: { case: "noop", value: {} } },
      });
    }
    const firstPage = await cli(["jobs", "list", "--tag", "paged", "--limit", "2"], o);
    expect(firstPage.stdout.trim().split("\n")).toHaveLength(3);
    expect(firstPage.stderr).toMatch(/more jobs: --all/);
    const all = await cliJson<{ jobs: JobJson[]; nextPageToken?: string }>(
      ["jobs", "list", "--tag", "paged", "--limit", "2", "--all"],
      o,
    );
    expect(all.jobs).toHaveLength(5);
    expect(all.nextPageToken).toBeUndefined();

    // Bulk delete asks first; without a terminal to ask on, only --yes goes ahead.
    const refused = await cli(["jobs", "delete", "--tag", "paged"], o);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Delete 5 job\(s\)\? Refused: no terminal to ask on; add --yes/);
    const deleted = await cliJson<{ jobs: JobJson[] }>(
      ["jobs", "delete", "--tag", "paged", "--yes"],
      o,
    );
    expect(deleted.jobs.map((j) => j.status)).toEqual(Array(5).fill("JOB_STATUS_CANCELLED"));
  });

  it("previews a schedule with its DST notes, and fits tables to a narrow terminal", async () => {
    const preview = await cliOk(
      [
        ...["jobs", "preview", "--cron", "30 2 * * *", "--tz", "Europe/Berlin"],
        ...["--from", "2026-03-28T00:00:00Z", "--count", "3"],
      ],
      o,
    );
    const [header, ...rows] = preview.trimEnd().split("\n");
    expect(header).toMatch(/^TIME \(UTC\)\s+LOCAL\s+NOTES$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^2026-03-28 01:30:00 \(.*\)\s+2026-03-28T02:30:00\.000\+01:00\s+-$/);
    expect(rows[1]).toMatch(/^2026-03-29 01:00:00 .*2026-03-29T03:00:00\.000\+02:00\s+\S/);

    // --dst-gap skip: 02:30 did not happen on 2026-03-29, so it does not run that day.
    const skipping = await cliOk(
      [
        ...[
          "jobs",
          "preview",
          "--cron",
          "30 2 * * *",
          "--tz",
          "Europe/Berlin",
          "--dst-gap",
          "skip",
        ],
        ...["--from", "2026-03-28T00:00:00Z", "--count", "2"],
      ],
      o,
    );
    expect(skipping).toMatch(/2026-03-28T02:30:00\.000\+01:00/);
    expect(skipping).toMatch(/2026-03-30T02:30:00\.000\+02:00/);
    expect(skipping).toMatch(/skipped \(dst gap SKIP\)/);

    const narrow = await cliOk(["jobs", "list", "--owner", "team-cli", "--all"], {
      ...o,
      env: { COLUMNS: "80" },
    });
    const lines = narrow.trimEnd().split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(lines[0]).not.toMatch(/OWNER|TAGS/);
  });

  it("sets and clears pause_after_failures and remaining_runs by flags; jobs get shows them", {
    timeout: 120_000,
  }, async () => {
    const created = await cliJson<{ job: JobJson & Record<string, unknown> }>(
      [
        ...["jobs", "create", "--name", "cli limited", "--owner", "team-cli-limits"],
        ...[
          "--cron",
          "0 3 * * *",
          "--noop",
          "--pause-after-failures",
          "3",
          "--remaining-runs",
          "5",
        ],
      ],
      o,
    );
    const id = created.job.id;
    expect(created.job).toMatchObject({ pauseAfterFailures: 3, remainingRuns: 5, grantedRuns: 5 });
    const shown = await cliOk(["jobs", "get", id], o);
    expect(shown).toMatch(/^failed in a row:\s+0 \(pauses at 3\)$/m);
    expect(shown).toMatch(/^remaining runs:\s+5 of 5$/m);

    await cliOk(
      ["jobs", "update", id, "--remaining-runs", "unlimited", "--pause-after-failures", "0"],
      o,
    );
    const cleared = (await api.getJob({ id })).job!;
    expect(cleared.remainingRuns).toBeUndefined();
    expect(cleared.pauseAfterFailures).toBe(0);
    expect(await cliOk(["jobs", "get", id], o)).toMatch(/^remaining runs:\s+unlimited$/m);

    const bad = await cli(["jobs", "update", id, "--remaining-runs", "0"], o);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/\[invalid_argument\] job\.remaining_runs: must be 1 to 1000000/);
    const usage = await cli(["jobs", "update", id, "--remaining-runs", "many"], o);
    expect(usage.code).toBe(2);
    await api.deleteJob({ id });
  });

  it("pauses and resumes with a note, and shows the fire ledger as a table and as the API's JSON", {
    timeout: 120_000,
  }, async () => {
    const { job } = await api.createJob({
      name: "cli ledger",
      owner: "team-cli-ledger",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: { kind: { case: "noop", value: {} } },
    });
    const id = job!.id;
    const ran = async (afterMs: number) =>
      (await api.listExecutions({ jobId: id, pageSize: 100 })).executions.some(
        (e) => timestampMs(e.scheduledTime!) > afterMs && e.startTime !== undefined,
      );
    await waitFor("a first run", async () => ((await ran(0)) ? true : undefined));
    const paused = await cliOk(["jobs", "pause", id, "--note", "vendor outage"], o);
    expect(paused).toMatch(/^paused:\s+.* by test-user: vendor outage$/m);
    await new Promise((r) => setTimeout(r, 2500));
    await cliOk(["jobs", "resume", id, "--note", "vendor back"], o);
    const history = (await api.getJob({ id })).job!.pauseHistory;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ note: "vendor outage", resumeNote: "vendor back" });
    const resumedMs = timestampMs(history[0]!.resumeTime!);
    await waitFor("a run after the resume", async () =>
      (await ran(resumedMs)) ? true : undefined,
    );
    await api.deleteJob({ id });

    const from = new Date(timestampMs(job!.createTime!)).toISOString();
    const to = new Date(Date.now()).toISOString();
    const text = await cliOk(["jobs", "fires", id, "--from", from, "--to", to, "--all"], o);
    const [header, ...rows] = text.trimEnd().split("\n");
    expect(header).toMatch(/^NOMINAL \(UTC\)\s+LOCAL \(UTC\)\s+OUTCOME\s+EXECUTION\s+DETAIL$/);
    expect(rows.some((r) => /\bSTARTED\s+job_\w+:\d+:1\b/.test(r))).toBe(true);
    expect(
      rows.some((r) =>
        new RegExp(`SKIPPED_PAUSED\\s+-\\s+paused by ${history[0]!.pausedBy}: vendor outage`).test(
          r,
        ),
      ),
    ).toBe(true);
    expect(rows.at(-1)).toMatch(/^STARTED \d+, SKIPPED_PAUSED \d+/);

    const json = await cliJson(["jobs", "fires", id, "--from", from, "--to", to], o);
    const direct = await api.listFires({
      jobId: id,
      from: timestampFromMs(Date.parse(from)),
      to: timestampFromMs(Date.parse(to)),
    });
    expect(json).toEqual(toJson(ListFiresResponseSchema, direct));
  });
});
