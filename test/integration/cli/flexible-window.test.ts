/**
 * A flexible window through the CLI (the bin, a child process) against a
 * real API: `--flexible-window` on `jobs create` / `jobs update` (0 removes
 * it), `jobs get` showing it, `jobs preview` with each time's window end,
 * the server's InvalidArgument naming `schedule.flexible_window` for a bad
 * one, and `chronoring apply` carrying it from YAML with its diff.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { EXIT } from "../../../src/cli/exit-codes.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { type CliOptions, cli, cliJson, cliOk } from "../../support/cli.js";

interface JobJson {
  id: string;
  schedule: { cron?: string; flexibleWindow?: string };
}

describe("flexible windows in the CLI", () => {
  let app: App;
  let o: CliOptions;
  let dir: string;

  beforeAll(async () => {
    app = await startApp(testConfig("cli-flex", { ROLES: "api", ETCD_ENDPOINTS: "" }), {
      logger: silentLogger,
    });
    o = { url: app.apiUrl! };
    dir = mkdtempSync(join(tmpdir(), "chronoring-flex-"));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sets, shows, changes and removes a job's window with --flexible-window", async () => {
    const created = await cliJson<{ job: JobJson }>(
      [
        ...["jobs", "create", "--name", "hourly spread", "--owner", "cli-flex"],
        ...["--cron", "0 * * * *", "--flexible-window", "60s", "--noop"],
      ],
      o,
    );
    const id = created.job.id;
    expect(created.job.schedule.flexibleWindow).toBe("60s");
    const shown = await cliOk(["jobs", "get", id], o);
    expect(shown).toMatch(/^flexible window:\s+1m$/m);

    // Another schedule flag keeps the window; --flexible-window changes it; 0s removes it.
    const retimed = await cliJson<{ job: JobJson }>(
      ["jobs", "update", id, "--cron", "30 * * * *"],
      o,
    );
    expect(retimed.job.schedule).toMatchObject({ cron: "30 * * * *", flexibleWindow: "60s" });
    const narrower = await cliJson<{ job: JobJson }>(
      ["jobs", "update", id, "--flexible-window", "30s"],
      o,
    );
    expect(narrower.job.schedule.flexibleWindow).toBe("30s");
    const removed = await cliJson<{ job: JobJson }>(
      ["jobs", "update", id, "--flexible-window", "0s"],
      o,
    );
    expect(removed.job.schedule.flexibleWindow).toBeUndefined();
    expect(await cliOk(["jobs", "get", id], o)).not.toMatch(/flexible window/);
  });

  it("refuses a bad window with the server's InvalidArgument naming schedule.flexible_window", async () => {
    const base = ["jobs", "create", "--name", "bad", "--owner", "cli-flex", "--noop"];
    const tooLong = await cli([...base, "--cron", "0 * * * *", "--flexible-window", "16m"], o);
    expect(tooLong.code).toBe(EXIT.invalidArgument);
    expect(tooLong.stderr).toMatch(/schedule\.flexible_window: must be between 1 s and 15 min/);
    const overPeriod = await cli([...base, "--interval", "10s", "--flexible-window", "11s"], o);
    expect(overPeriod.code).toBe(EXIT.invalidArgument);
    expect(overPeriod.stderr).toMatch(
      /schedule\.flexible_window: must be at most the schedule's period/,
    );
    const withJitter = await cli(
      [...base, "--cron", "0 * * * *", "--jitter", "5s", "--flexible-window", "60s"],
      o,
    );
    expect(withJitter.code).toBe(EXIT.invalidArgument);
    expect(withJitter.stderr).toMatch(
      /schedule\.flexible_window: cannot be combined with schedule\.jitter/,
    );
  });

  it("previews each time with its window end", async () => {
    const preview = await cliOk(
      [
        ...["jobs", "preview", "--cron", "0 * * * *", "--flexible-window", "90s"],
        ...["--from", "2030-01-01T00:00:00Z", "--count", "2"],
      ],
      { ...o, env: { COLUMNS: "250" } },
    );
    const [header, ...rows] = preview.trimEnd().split("\n");
    expect(header).toMatch(/^TIME \(UTC\)\s+LOCAL\s+WINDOW END \(UTC\)\s+NOTES$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /^2030-01-01 01:00:00 .*2030-01-01 01:01:30\s+flexible window 1 min 30 s: /,
    );
  });

  it("apply carries the window from YAML and shows its change", async () => {
    const file = join(dir, "jobs.yaml");
    const yaml = (window: string) =>
      [
        "namespace: cli-flex",
        "jobs:",
        "  - externalKey: spread",
        "    name: spread",
        "    owner: cli-flex",
        `    schedule: { cron: "0 * * * *", flexibleWindow: ${window} }`,
        "    target: { noop: {} }",
      ].join("\n");
    writeFileSync(file, yaml("60s"));
    const applied = await cli(["apply", "-f", file], o);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^\+ create spread \(job_[a-z0-9]{26}\)$/m);

    writeFileSync(file, yaml("30s"));
    const dry = await cli(["apply", "-f", file, "--dry-run"], o);
    expect(dry.code, dry.stderr).toBe(EXIT.changesPlanned);
    expect(dry.stdout).toContain("    schedule.flexible_window_ms: 60000 → 30000");
  });
});
