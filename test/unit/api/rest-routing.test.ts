/**
 * The REST routing table built from the descriptors' google.api.http rules:
 * path templates (variables, nested fields, custom verbs, percent-encoding),
 * the most specific template winning, 405 apart from 404, and every path of
 * the design's table bound to its RPC.
 */

import { describe, expect, it } from "vitest";
import { bindingsOf } from "../../../src/api/rest/bindings.js";
import {
  matchTemplate,
  parseTemplate,
  TemplateError,
} from "../../../src/api/rest/path-template.js";
import { createRouteTable } from "../../../src/api/rest/route-table.js";
import { SERVED_SERVICES } from "../../support/services.js";

const table = createRouteTable(bindingsOf(SERVED_SERVICES.flatMap((s) => s.methods)));

describe("path templates", () => {
  it.each([
    ["/v1/jobs/{id}", "/v1/jobs/job_1", { id: "job_1" }],
    ["/v1/jobs/{job.id}", "/v1/jobs/a%2Fb", { "job.id": "a/b" }],
    ["/v1/jobs/{id}:pause", "/v1/jobs/x%3Ay:pause", { id: "x:y" }],
    ["/v1/{name=calendars/*}", "/v1/calendars/c1", { name: "calendars/c1" }],
    ["/v1/files/{path=**}", "/v1/files/a/b%2Fc", { path: "a/b%2Fc" }],
  ])("%s matches %s", (template, path, want) => {
    expect(Object.fromEntries(matchTemplate(parseTemplate(template), path) ?? [])).toEqual(want);
  });

  it.each([
    ["/v1/jobs/{id}", "/v1/jobs/"],
    ["/v1/jobs/{id}", "/v1/jobs/a/b"],
    ["/v1/jobs/{id}:pause", "/v1/jobs/a"],
    ["/v1/jobs/{id}", "/v1/jobs/%zz"],
  ])("%s does not match %s", (template, path) => {
    expect(matchTemplate(parseTemplate(template), path)).toBeUndefined();
  });

  it.each(["v1/jobs", "/v1/*/x", "/v1/{id", "/v1/{a-b}", "/v1/{p=**}/x"])("refuses %s", (t) => {
    expect(() => parseTemplate(t)).toThrow(TemplateError);
  });
});

describe("the routing table", () => {
  it.each([
    ["POST", "/jobs", "CreateJob"],
    ["GET", "/jobs", "ListJobs"],
    ["GET", "/jobs/j1", "GetJob"],
    ["PUT", "/jobs/j1", "UpdateJob"],
    ["PATCH", "/jobs/j1", "UpdateJob"],
    ["DELETE", "/jobs/j1", "DeleteJob"],
    ["POST", "/jobs/j1/trigger", "TriggerJob"],
    ["POST", "/jobs/j1:runNow", "TriggerJob"],
    ["POST", "/jobs/j1/pause", "PauseJob"],
    ["POST", "/jobs/j1:pause", "PauseJob"],
    ["POST", "/jobs/j1/resume", "ResumeJob"],
    ["POST", "/jobs/j1:resume", "ResumeJob"],
    ["GET", "/jobs/j1/executions", "ListExecutions"],
    ["GET", "/job/executions", "ListExecutions"],
    ["GET", "/executions", "ListExecutions"],
    ["GET", "/executions/e1", "GetExecution"],
    ["POST", "/jobs:preview", "PreviewSchedule"],
    ["GET", "/v1/jobs/j1/fires", "ListFires"],
    ["POST", "/v1/deadRuns:redrive", "RedriveDeadRuns"],
    ["POST", "/v1/jobs/j1:backfill", "BackfillJob"],
    ["GET", "/v1/jobs/j1/backfills", "ListBackfills"],
    ["GET", "/v1/backfills/b1", "GetBackfill"],
    ["POST", "/v1/backfills/b1:cancel", "CancelBackfill"],
    ["POST", "/v1/workflows/w1:trigger", "TriggerWorkflow"],
    ["POST", "/v1/cluster/workers/w1:pause", "PauseWorker"],
    ["GET", "/v1/health", "Check"],
  ])("%s %s → %s", (method, path, rpc) => {
    const m = table.match(method, path);
    expect(m.kind === "found" && m.binding.rpc.name).toBe(rpc);
  });

  it("a path other methods serve is 405 with those methods; an unknown one 404", () => {
    expect(table.match("GET", "/jobs/j1:pause")).toEqual({
      kind: "method_not_allowed",
      allowed: ["POST"],
    });
    expect(table.match("POST", "/jobs/j1")).toEqual({
      kind: "method_not_allowed",
      allowed: ["DELETE", "GET", "PATCH", "PUT"],
    });
    expect(table.match("GET", "/nowhere").kind).toBe("not_found");
  });
});
