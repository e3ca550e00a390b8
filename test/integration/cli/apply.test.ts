/**
 * `chronoring apply -f jobs.yaml` as a user runs it (the bin, a child
 * process) against a real app: a dry run prints the plan as `terraform plan`
 * does and exits 2 with changes, 0 without; an apply writes it; a changed
 * file shows `~ update` with `field: old → new` and, with --prune, `- delete`.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { cli } from "../../support/cli.js";

const yamlOf = (jobs: Array<{ key: string; cron: string }>, namespace = "cli-apply") =>
  [
    `namespace: ${namespace}`,
    "jobs:",
    ...jobs.flatMap((j) => [
      `  - externalKey: ${j.key}`,
      `    name: ${j.key}`,
      "    owner: cli-apply",
      `    schedule: { cron: "${j.cron}", timeZone: UTC }`,
      "    target: { noop: {} }",
    ]),
  ].join("\n");

describe("chronoring apply", () => {
  let app: App;
  let dir: string;

  beforeAll(async () => {
    app = await startApp(testConfig("cli-apply", { ROLES: "api", ETCD_ENDPOINTS: "" }), {
      logger: silentLogger,
    });
    dir = mkdtempSync(join(tmpdir(), "chronoring-apply-"));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("plans, applies, shows updates as field: old → new, prunes, and tells changes by the exit code", async () => {
    const file = join(dir, "jobs.yaml");
    const url = app.apiUrl!;
    writeFileSync(
      file,
      yamlOf([
        { key: "nightly", cron: "0 3 * * *" },
        { key: "hourly", cron: "0 * * * *" },
      ]),
    );

    const dry = await cli(["apply", "-f", file, "--dry-run"], { url });
    expect(dry.code, dry.stderr).toBe(2);
    expect(dry.stdout).toContain("+ create nightly\n+ create hourly\n");
    expect(dry.stdout).toContain(
      "Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged (dry run: nothing written).",
    );

    const applied = await cli(["apply", "-f", file], { url });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^\+ create nightly \(job_[a-z0-9]{26}\)$/m);
    expect(applied.stdout).toContain(
      "Applied: 2 to create, 0 to update, 0 to delete, 0 unchanged.",
    );

    const same = await cli(["apply", "-f", file, "--dry-run"], { url });
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain("No changes.");

    writeFileSync(file, yamlOf([{ key: "nightly", cron: "0 4 * * *" }]));
    const changed = await cli(["apply", "-f", file, "--prune", "--dry-run"], { url });
    expect(changed.code, changed.stderr).toBe(2);
    expect(changed.stdout).toMatch(/^~ update nightly \(job_[a-z0-9]{26}\)$/m);
    expect(changed.stdout).toContain('    schedule.source: "0 3 * * *" → "0 4 * * *"');
    expect(changed.stdout).toMatch(/^- delete hourly \(job_[a-z0-9]{26}\)$/m);

    const pruned = await cli(["apply", "-f", file, "--prune", "--json"], { url });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout)).toMatchObject({
      counts: { update: 1, delete: 1 },
      applied: true,
    });
  });

  it("the namespace comes from --namespace when the file has none; none at all is a usage error", async () => {
    const file = join(dir, "bare.yaml");
    const url = app.apiUrl!;
    writeFileSync(
      file,
      yamlOf([{ key: "one", cron: "0 3 * * *" }]).replace(/^namespace: .*\n/, ""),
    );
    const none = await cli(["apply", "-f", file], { url });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no namespace");
    const given = await cli(["apply", "-f", file, "--namespace", "cli-flag"], { url });
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout).toContain("+ create one");
  });

  it("a bad file is refused before any call (exit 3); a bad job is the server's InvalidArgument naming it", async () => {
    const url = app.apiUrl!;
    const typo = join(dir, "typo.yaml");
    writeFileSync(typo, "namespace: x\njobz: []\n");
    const refused = await cli(["apply", "-f", typo], { url });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('unknown key "jobz"');
    const noKey = join(dir, "nokey.yaml");
    writeFileSync(
      noKey,
      yamlOf([{ key: "k", cron: "0 3 * * *" }]).replace("  - externalKey: k\n    name", "  - name"),
    );
    const bad = await cli(["apply", "-f", noKey], { url });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("jobs[0].external_key: required");
  });
});
