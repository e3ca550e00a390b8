/**
 * `chronoring jobs import FILE.jsonl` as a user runs it (the bin, a child
 * process) against a real app: the file's jobs streamed through ImportJobs,
 * a summary of created, existing and refused with each refused line and
 * reason, exit 3 when an item is refused; run again, the keyed lines create
 * nothing twice.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { cli } from "../../support/cli.js";
import { jobClient } from "../../support/client.js";

const line = (name: string, key?: string) =>
  JSON.stringify({
    name,
    owner: "cli-import",
    schedule: { cron: "0 3 * * *" },
    target: { noop: {} },
    ...(key ? { idempotencyKey: key } : {}),
  });

describe("chronoring jobs import", () => {
  let app: App;
  let dir: string;

  beforeAll(async () => {
    app = await startApp(testConfig("cli-import", { ROLES: "api", ETCD_ENDPOINTS: "" }), {
      logger: silentLogger,
    });
    dir = mkdtempSync(join(tmpdir(), "chronoring-import-"));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("imports a file, reports refused lines with their reason, and creates nothing twice", async () => {
    const file = join(dir, "jobs.jsonl");
    const lines = Array.from({ length: 450 }, (_, i) => line(`job-${i}`, `k-${i}`));
    lines[9] = JSON.stringify({
      name: "bad",
      owner: "cli-import",
      schedule: { cron: "99 * * * *" },
      target: { noop: {} },
    });
    lines[19] = "not json";
    writeFileSync(file, `${lines.join("\n")}\n`);

    const first = await cli(["jobs", "import", file], { url: app.apiUrl! });
    expect(first.code, first.stderr).toBe(3);
    expect(first.stdout).toContain("created 448, existing 0, refused 2");
    expect(first.stdout).toMatch(/line 10: \[invalid_argument\] schedule\.cron: /);
    expect(first.stdout).toMatch(/line 20: \[invalid_argument\] /);
    expect(first.stderr).toContain("2 of 450 items refused");

    const again = await cli(["jobs", "import", file, "--json"], { url: app.apiUrl! });
    const summary = JSON.parse(again.stdout) as { created: number; existing: number };
    expect(summary).toMatchObject({ created: 0, existing: 448 });

    const good = join(dir, "good.jsonl");
    writeFileSync(good, `${line("one")}\n${line("two")}\n`);
    const ok = await cli(["jobs", "import", good], { url: app.apiUrl! });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe("created 2, existing 0, refused 0");
    const client = jobClient(app.apiUrl!);
    expect((await client.listJobs({ owner: "cli-import", pageSize: 500 })).jobs).toHaveLength(450);
  }, 180_000);
});
