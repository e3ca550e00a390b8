/**
 * Which RPCs change nothing is declared in the protos
 * (`idempotency_level = NO_SIDE_EFFECTS`): the audit interceptor records
 * every call of the others, and Connect may serve the marked ones over GET.
 * Every read (Get*, List*, Preview*, Health) is marked and nothing else is,
 * for every method the server registers.
 */

import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { procedureName } from "../../../src/api/access.js";
import { registeredMethods } from "../../support/access.js";

const READ = /^(Get|List|Preview)/;

describe("the side-effect-free methods", () => {
  const methods = registeredMethods();

  it("are the reads, and only the reads", () => {
    const marked = methods
      .filter((m) => m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS)
      .map(procedureName)
      .sort();
    const reads = methods
      .filter((m) => READ.test(m.name) || m.parent.typeName === "grpc.health.v1.Health")
      .map(procedureName)
      .sort();
    expect(marked).toEqual(reads);
  });

  it("leave these methods to be audited on every call", () => {
    const audited = methods
      .filter((m) => m.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS)
      .map(procedureName)
      .sort();
    expect(audited).toEqual([
      "chronoring.v1.BackfillService/BackfillJob",
      "chronoring.v1.BackfillService/CancelBackfill",
      "chronoring.v1.CalendarService/CreateCalendar",
      "chronoring.v1.CalendarService/DeleteCalendar",
      "chronoring.v1.CalendarService/UpdateCalendar",
      "chronoring.v1.ClusterService/PauseWorker",
      "chronoring.v1.ClusterService/ResumeWorker",
      "chronoring.v1.DeadLetterService/PurgeDeadRuns",
      "chronoring.v1.DeadLetterService/RedriveDeadRuns",
      "chronoring.v1.JobService/ApplyJobs",
      "chronoring.v1.JobService/BatchCreateJobs",
      "chronoring.v1.JobService/CreateJob",
      "chronoring.v1.JobService/DeleteJob",
      "chronoring.v1.JobService/ImportJobs",
      "chronoring.v1.JobService/PauseJob",
      "chronoring.v1.JobService/ResumeJob",
      "chronoring.v1.JobService/TriggerJob",
      "chronoring.v1.JobService/UpdateJob",
      "chronoring.v1.TenantService/UpdateTenantQuota",
      "chronoring.v1.WorkflowService/CreateWorkflow",
      "chronoring.v1.WorkflowService/DeleteWorkflow",
      "chronoring.v1.WorkflowService/TriggerWorkflow",
    ]);
  });
});
