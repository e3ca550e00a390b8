/**
 * `chronoring jobs backfill` and `chronoring backfills` as a user runs them
 * (the bin, a child process) against a real app with auth on: a dry run's
 * table and JSON, a backfill followed to its end with --watch, get, list
 * and cancel, and the exit codes of bad flags and bad values.
 */

import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { authedClient, type TestAuth, testAuth } from "../../support/auth.js";
import { type CliOptions, cli, cliJson, cliOk } from "../../support/cli.js";

interface BackfillJson {
  id: string;
  state: string;
  counts: Record<string, number>;
}

describe("chronoring jobs backfill and backfills", () => {
  let auth: TestAuth;
  let app: App;
  let o: CliOptions;
  let jobId: string;
  let createdMs: number;

  beforeAll(async () => {
    auth = await testAuth();
    const config = testConfig("cli-backfill", { ...auth.settings, BACKFILL_INTERVAL_MS: "200" });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    const token = await auth.token({ roles: ["operator"] });
    o = { url: app.apiUrl!, token };
    const editor = authedClient(JobService, app.apiUrl!, await auth.token({ roles: ["editor"] }));
    const { job } = await editor.createJob({
      name: "cli backfill",
      owner: "team-cli",
      schedule: { kind: { case: "cron", value: "* * * * * *" } },
      target: { kind: { case: "noop", value: { sleep: durationFromMs(100) } } },
    });
    jobId = job!.id;
    createdMs = timestampMs(job!.createTime!);
  });
  afterAll(async () => {
    await app?.close();
    auth?.cleanup();
  });

  /** `--from --to` of the `n` seconds ending a second before the job existed. */
  const range = (n: number) => [
    "--from",
    new Date(createdMs - (n + 1) * 1000).toISOString(),
    "--to",
    new Date(createdMs - 1000).toISOString(),
  ];

  it("a dry run lists what would run, as a table or the API's JSON, and sends nothing", {
    timeout: 120_000,
  }, async () => {
    const args = ["jobs", "backfill", jobId, ...range(20), "--mode", "missing", "--dry-run"];
    const json = await cliJson<{ runs: Array<{ executionId: string }>; selected: number }>(args, o);
    expect(json.selected).toBe(20);
    expect(json.runs).toHaveLength(20);
    expect(json.runs.every((r) => r.executionId.startsWith(`${jobId}:`))).toBe(true);
    const human = await cli(args, { ...o, env: { COLUMNS: "200" } });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/NOMINAL \(UTC\)\s+EXECUTION\s+OUTCOME NOW/);
    expect(human.stdout.trim().split("\n")).toHaveLength(21);
    expect(human.stderr).toContain("20 of 20 nominal times would run; nothing sent");
    const listed = await cliJson<{ backfills?: unknown[] }>(["backfills", "list", jobId], o);
    expect(listed.backfills ?? []).toEqual([]);
  });

  it("--watch follows a backfill to its end; get, list and cancel", {
    timeout: 90_000,
  }, async () => {
    const args = [...["jobs", "backfill", jobId, ...range(20)], "--mode", "MISSING"];
    const watched = await cli([...args, "--max-concurrent", "5", "--watch", "--json"], o);
    expect(watched.code, watched.stderr).toBe(0);
    const { backfill } = JSON.parse(watched.stdout) as { backfill: BackfillJson };
    expect(backfill.state).toBe("BACKFILL_STATE_DONE");
    expect(backfill.counts).toMatchObject({ selected: 20, sent: 20, succeeded: 20 });
    // No terminal: the progress is a line now and then on stderr.
    expect(watched.stderr).toContain(`${backfill.id}: `);

    const got = await cliJson<{ backfill: BackfillJson }>(["backfills", "get", backfill.id], o);
    expect(got.backfill).toEqual(backfill);
    const table = await cliOk(["backfills", "list", jobId], { ...o, env: { COLUMNS: "200" } });
    expect(table).toMatch(new RegExp(`${backfill.id}\\s+DONE\\s+MISSING`));
    expect(table).toContain("20/20 done (20 ok, 0 failed)");
    const cancel = await cli(["backfills", "cancel", backfill.id], o);
    expect(cancel.code).toBe(6);
    expect(cancel.stderr).toContain(`backfill ${backfill.id} is DONE: nothing to cancel`);

    const running = await cliJson<{ backfill: BackfillJson }>(
      [...["jobs", "backfill", jobId, ...range(200)], "--mode", "all", "--max-concurrent", "1"],
      o,
    );
    const cancelled = await cliOk(["backfills", "cancel", running.backfill.id], o);
    expect(cancelled).toMatch(/state:\s+CANCELLED/);
    expect(cancelled).toMatch(/cancelled by:\s+test-/);
  });

  it("exits 2 on bad flags and 3 on a value the server refuses", { timeout: 180_000 }, async () => {
    const base = ["jobs", "backfill", jobId, ...range(5)];
    expect((await cli([...base, "--mode", "sometimes"], o)).code).toBe(2);
    expect((await cli(["jobs", "backfill", jobId, "--mode", "missing"], o)).code).toBe(2);
    expect((await cli([...base, "--mode", "missing", "--max-concurrent", "101"], o)).code).toBe(2);
    const future = await cli(
      ["jobs", "backfill", jobId, "--from", "-1m", "--to", "+1h", "--mode", "missing"],
      o,
    );
    expect(future.code).toBe(3);
    expect(future.stderr).toContain("to: must not be after now");
    expect((await cli(["backfills", "get", "bf_nope"], o)).code).toBe(3);
    expect((await cli(["backfills", "get", `bf_${"0".repeat(26)}`], o)).code).toBe(4);
  });
});
