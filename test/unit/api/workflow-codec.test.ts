import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  CreateWorkflowRequestSchema,
  NodeRunStatus,
  WorkflowRunStatus,
  WorkflowStatus,
} from "../../../gen/chronoring/v1/workflow_service_pb.js";
import {
  workflowInputFromProto,
  workflowRunToProto,
  workflowToProto,
} from "../../../src/api/workflow-codec.js";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { ChronoringError } from "../../../src/core/errors.js";

describe("workflow codec", () => {
  it("converts a create request, naming a node's bad target by its index", () => {
    const req = create(CreateWorkflowRequestSchema, {
      name: "w",
      owner: "o",
      schedule: { kind: { case: "interval", value: "1m" } },
      nodes: [
        { key: "a", target: { kind: { case: "noop", value: {} } } },
        { key: "b", dependsOn: ["a"], target: { kind: { case: "noop", value: {} } } },
      ],
    });
    const input = workflowInputFromProto(req);
    expect(input.nodes).toEqual([
      { key: "a", name: "", target: { type: "noop", sleepMs: 0 }, dependsOn: [] },
      { key: "b", name: "", target: { type: "noop", sleepMs: 0 }, dependsOn: ["a"] },
    ]);
    req.nodes[1]!.target = undefined;
    expect(() => workflowInputFromProto(req)).toThrow(ChronoringError);
    try {
      workflowInputFromProto(req);
    } catch (err) {
      expect((err as ChronoringError).field).toBe("nodes[1].target");
    }
  });

  it("reports a workflow and a run with their statuses and ids", () => {
    const wf = workflowToProto({
      id: "wf_00000000000000000000000000",
      tenant: DEFAULT_TENANT,
      name: "w",
      owner: "o",
      tags: [],
      schedule: { kind: "once", at: 1000 },
      nodes: [
        {
          key: "a",
          name: "a",
          target: { type: "noop", sleepMs: 0 },
          dependsOn: [],
          jobId: "job_x",
        },
      ],
      status: "DELETED",
      triggerJobId: "job_t",
      createdMs: 5,
    });
    expect(wf.status).toBe(WorkflowStatus.DELETED);
    expect(wf.nodes[0]!.jobId).toBe("job_x");
    const run = workflowRunToProto({
      workflowId: wf.id,
      tenant: DEFAULT_TENANT,
      scheduledMs: 1000,
      status: "FAILED",
      startedMs: 1001,
      endedMs: 1500,
      nodes: [
        { key: "a", jobId: "job_x", status: "FAILED", executionId: "job_x:1000:1", queuedMs: 1001 },
        { key: "b", jobId: "job_y", status: "SKIPPED", endedMs: 1400 },
      ],
    });
    expect(run.id).toBe(`${wf.id}:1000`);
    expect(run.status).toBe(WorkflowRunStatus.FAILED);
    expect(run.nodes.map((n) => n.status)).toEqual([NodeRunStatus.FAILED, NodeRunStatus.SKIPPED]);
    expect(run.nodes[1]!.executionId).toBe("");
    expect(timestampMs(run.endTime!)).toBe(1500);
  });
});
