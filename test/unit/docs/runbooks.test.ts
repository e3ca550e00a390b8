/**
 * The runbooks in docs/runbooks/ against the code they name: every alert's
 * runbook exists and the index links every page; each `rpc Service/Method
 * '<json>'` command names a real method and its JSON is a valid request
 * (proto JSON, placeholders are strings); every metric, alert, setting and
 * relative link named exists.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BackfillService } from "../../../gen/chronoring/v1/backfill_service_pb.js";
import { CalendarService } from "../../../gen/chronoring/v1/calendar_service_pb.js";
import { ClusterService } from "../../../gen/chronoring/v1/cluster_service_pb.js";
import { DeadLetterService } from "../../../gen/chronoring/v1/dead_letter_service_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { WorkflowService } from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { settingEnvNames } from "../../../src/config/settings.js";
import {
  definedMetrics,
  REPO_ROOT,
  repoFile,
  undefinedMetrics,
} from "../../support/metric-names.js";

const DIR = "docs/runbooks";
const SERVICES: DescService[] = [
  JobService,
  DeadLetterService,
  CalendarService,
  WorkflowService,
  ClusterService,
  BackfillService,
];
const pages = readdirSync(join(REPO_ROOT, DIR)).filter((f) => f.endsWith(".md"));
const text = (page: string) => repoFile(`${DIR}/${page}`);

interface Rule {
  alert: string;
  annotations: { runbook_url: string };
}
const rules = (
  parse(repoFile("deploy/prometheus/alerts.yml")) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);

/** `rpc Service/Method '<json>'` commands of a page. */
function rpcCommands(page: string): { service: string; method: string; json: string }[] {
  return [...text(page).matchAll(/\brpc (\w+)\/(\w+) '([^']*)'/g)].map(
    ([, service, method, json]) => ({
      service: service!,
      method: method!,
      json: json!,
    }),
  );
}

describe("runbooks", () => {
  it("every alert's runbook_url is a page, and the index links every page", () => {
    for (const rule of rules) {
      const page = rule.annotations.runbook_url.split("/docs/runbooks/")[1] ?? "";
      expect(pages, rule.alert).toContain(page);
    }
    const index = text("README.md");
    for (const page of pages.filter((p) => p !== "README.md")) {
      expect(index, page).toContain(`](${page})`);
    }
  });

  it.each(pages)("%s: every rpc command is a real method with a valid request", (page) => {
    for (const { service, method, json } of rpcCommands(page)) {
      const desc = SERVICES.find((s) => s.name === service);
      expect(desc, `${page}: ${service}`).toBeDefined();
      const rpc = desc!.methods.find((m) => m.name === method);
      expect(rpc, `${page}: ${service}/${method}`).toBeDefined();
      expect(
        () => fromJson(rpc!.input, JSON.parse(json) as JsonValue),
        `${page}: ${service}/${method} ${json}`,
      ).not.toThrow();
    }
  });

  it("the pages hold rpc commands at all", () => {
    expect(pages.flatMap(rpcCommands).length).toBeGreaterThan(20);
  });

  it.each(pages)("%s: every metric, alert and setting named exists", (page) => {
    const body = text(page);
    expect(undefinedMetrics(body, definedMetrics()), page).toEqual([]);
    const alerts = new Set(rules.map((r) => r.alert));
    for (const [name] of body.matchAll(/\bChronoring[A-Z]\w+/g)) {
      expect(alerts.has(name), `${page}: ${name}`).toBe(true);
    }
    const settings = new Set(settingEnvNames());
    for (const [name] of body.matchAll(/\bCHRONORING_[A-Z0-9_]+/g)) {
      expect(settings.has(name), `${page}: ${name}`).toBe(true);
    }
  });

  it.each(pages)("%s: every relative link leads to a file", (page) => {
    for (const [, target] of text(page).matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)) {
      const path = join(REPO_ROOT, DIR, target!);
      expect(existsSync(path), `${page}: ${target} (${dirname(path)})`).toBe(true);
    }
  });
});
