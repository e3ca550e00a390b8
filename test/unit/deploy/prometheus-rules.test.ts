/**
 * The alert rules in deploy/prometheus/alerts.yml: promtool accepts them, each
 * alert's unit test in deploy/prometheus/tests/ passes (`promtool test rules`,
 * Debian's prometheus package, installed by deploy/local/install-backends.sh),
 * and every alert carries what an operator needs: a `for`, a severity, a
 * summary, a description and a runbook in docs/runbooks/.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  definedMetrics,
  REPO_ROOT,
  repoFile,
  undefinedMetrics,
} from "../../support/metric-names.js";

const RULES = "deploy/prometheus/alerts.yml";
const TESTS = "deploy/prometheus/tests";
const RUNBOOK_BASE = "https://github.com/chronoring/chronoring/blob/main/docs/runbooks/";
const RUNBOOKS = [
  "manual-replay.md",
  "stuck-runs.md",
  "dead-run-flood.md",
  "capacity.md",
  "dynamodb-throttling.md",
  "etcd-quorum.md",
  "regional-failover.md",
  "scheduler-lag.md",
  "api-errors.md",
];

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const alerts: AlertRule[] = (
  parse(repoFile(RULES)) as { groups: Array<{ rules: AlertRule[] }> }
).groups.flatMap((g) => g.rules);
const testFiles = readdirSync(join(REPO_ROOT, TESTS))
  .filter((f) => f.endsWith(".yml"))
  .sort();

function promtool(args: string[]): { status: number | null; output: string } {
  const out = spawnSync("promtool", args, { cwd: REPO_ROOT, encoding: "utf8" });
  if (out.error) {
    throw new Error(
      "promtool not found: run deploy/local/install-backends.sh (Debian's prometheus package)",
      { cause: out.error },
    );
  }
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

describe("deploy/prometheus/alerts.yml", () => {
  it("is accepted by promtool check rules", () => {
    const { status, output } = promtool(["check", "rules", RULES]);
    expect(output, output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(status).toBe(0);
  });

  it("passes every unit test in deploy/prometheus/tests (promtool test rules)", () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const { status, output } = promtool(["test", "rules", ...testFiles.map((f) => join(TESTS, f))]);
    expect(status, output).toBe(0);
    expect(output).not.toContain("FAILED");
  }, 60_000);

  it("tests each alert: some test file expects it to fire", () => {
    const fired = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(repoFile(join(TESTS, file))) as {
        tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
      };
      for (const t of doc.tests)
        for (const a of t.alert_rule_test) if (a.exp_alerts.length > 0) fired.add(a.alertname);
    }
    expect([...fired].sort()).toEqual(alerts.map((a) => a.alert).sort());
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s has a for, a severity, a summary, a description and a runbook",
    (_, rule) => {
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning"]).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      const runbook = rule.annotations?.runbook_url ?? "";
      expect(runbook.startsWith(RUNBOOK_BASE), runbook).toBe(true);
      expect(RUNBOOKS).toContain(runbook.slice(RUNBOOK_BASE.length));
    },
  );

  it("reads only metrics that Chronoring defines", () => {
    const defined = definedMetrics();
    for (const rule of alerts) expect(undefinedMetrics(rule.expr, defined), rule.alert).toEqual([]);
  });
});
