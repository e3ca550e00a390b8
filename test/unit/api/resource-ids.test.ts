/**
 * The ids an audit event records, read from the messages' descriptors: each
 * method's own id fields, a calendar's name, the key of a nested resource,
 * and what a response made; never a display name; at most 100, no repeats.
 */

import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CreateCalendarRequestSchema,
  DeleteCalendarRequestSchema,
} from "../../../gen/chronoring/v1/calendar_service_pb.js";
import { PauseWorkerRequestSchema } from "../../../gen/chronoring/v1/cluster_service_pb.js";
import {
  RedriveDeadRunsRequestSchema,
  RedriveDeadRunsResponseSchema,
} from "../../../gen/chronoring/v1/dead_letter_service_pb.js";
import {
  CreateJobRequestSchema,
  CreateJobResponseSchema,
  DeleteJobRequestSchema,
  TriggerJobResponseSchema,
  UpdateJobRequestSchema,
} from "../../../gen/chronoring/v1/job_service_pb.js";
import {
  CreateWorkflowRequestSchema,
  CreateWorkflowResponseSchema,
  TriggerWorkflowResponseSchema,
} from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { resourceIds } from "../../../src/api/resource-ids.js";

const JOB = `job_${"a".repeat(26)}`;

describe("resourceIds", () => {
  it("reads each request's ids, and no display name", () => {
    const ids = <T extends Parameters<typeof create>[0]>(schema: T, init: object) =>
      resourceIds(schema, create(schema, init as never));
    expect(ids(DeleteJobRequestSchema, { id: JOB })).toEqual([JOB]);
    expect(ids(UpdateJobRequestSchema, { job: { id: JOB, name: "nightly" } })).toEqual([JOB]);
    expect(ids(CreateJobRequestSchema, { name: "nightly", owner: "team-a" })).toEqual([]);
    expect(ids(DeleteCalendarRequestSchema, { name: "holidays" })).toEqual(["holidays"]);
    expect(ids(CreateCalendarRequestSchema, { calendar: { name: "holidays" } })).toEqual([
      "holidays",
    ]);
    expect(ids(PauseWorkerRequestSchema, { workerId: "worker-1" })).toEqual(["worker-1"]);
    expect(
      ids(RedriveDeadRunsRequestSchema, { executionIds: [`${JOB}:1:1`, `${JOB}:2:1`] }),
    ).toEqual([`${JOB}:1:1`, `${JOB}:2:1`]);
    expect(ids(RedriveDeadRunsRequestSchema, { all: true, jobId: JOB })).toEqual([JOB]);
    expect(
      ids(CreateWorkflowRequestSchema, { name: "etl", nodes: [{ key: "a", name: "extract" }] }),
    ).toEqual([]);
  });

  it("adds what a response made, after the request's, without repeats", () => {
    const made = (schema: Parameters<typeof create>[0], init: object, into: string[] = []) =>
      resourceIds(schema, create(schema, init as never), into);
    expect(made(CreateJobResponseSchema, { job: { id: JOB, name: "nightly" } })).toEqual([JOB]);
    expect(made(TriggerJobResponseSchema, { execution: { id: `${JOB}:5:1`, jobId: JOB } })).toEqual(
      [`${JOB}:5:1`],
    );
    expect(
      made(CreateWorkflowResponseSchema, { workflow: { id: "wf_1", triggerJobId: JOB } }),
    ).toEqual(["wf_1"]);
    expect(made(TriggerWorkflowResponseSchema, { runId: "wf_1:9" }, ["wf_1"])).toEqual([
      "wf_1",
      "wf_1:9",
    ]);
    expect(
      made(
        RedriveDeadRunsResponseSchema,
        { executions: [{ id: `${JOB}:1:2` }, { id: `${JOB}:2:2` }] },
        [`${JOB}:1:1`],
      ),
    ).toEqual([`${JOB}:1:1`, `${JOB}:1:2`, `${JOB}:2:2`]);
  });

  it("keeps at most 100 ids", () => {
    const many = Array.from({ length: 150 }, (_, i) => `${JOB}:${i}:1`);
    const ids = resourceIds(
      RedriveDeadRunsRequestSchema,
      create(RedriveDeadRunsRequestSchema, { executionIds: [...many, many[0]!] }),
    );
    expect(ids).toEqual(many.slice(0, 100));
  });
});
