/** ApplyJobsRequest → ApplyRequest, and the plan back to ApplyJobsResponse. */

import { create } from "@bufbuild/protobuf";
import {
  ApplyAction as ApplyActionPb,
  type ApplyJobsRequest,
  type ApplyJobsResponse,
  ApplyJobsResponseSchema,
} from "../../gen/chronoring/v1/job_service_pb.js";
import type { ApplyAction } from "../core/apply-plan.js";
import { type ApplyRequest, type ApplyResult, atItem } from "../core/job-apply.js";
import { jobInputFromProto } from "./codec.js";

const ACTION_TO_PROTO: Record<ApplyAction, ApplyActionPb> = {
  CREATE: ApplyActionPb.CREATE,
  UPDATE: ApplyActionPb.UPDATE,
  DELETE: ApplyActionPb.DELETE,
  UNCHANGED: ApplyActionPb.UNCHANGED,
};

/** Each item converted as CreateJob converts one, a bad field named `jobs[<i>].<field>`. */
export function applyRequestFromProto(req: ApplyJobsRequest): ApplyRequest {
  return {
    namespace: req.namespace,
    jobs: req.jobs.map((job, i) => atItem(i, () => jobInputFromProto(job))),
    prune: req.prune,
    dryRun: req.dryRun,
  };
}

export function applyResultToProto(result: ApplyResult): ApplyJobsResponse {
  const { plan } = result;
  return create(ApplyJobsResponseSchema, {
    plan: plan.entries.map((e) => ({
      externalKey: e.key,
      action: ACTION_TO_PROTO[e.action],
      jobId: e.current?.id ?? result.created.get(e.key) ?? "",
      changes: e.changes.map((c) => ({
        path: c.path,
        oldValue: c.old ?? "",
        newValue: c.new ?? "",
      })),
      version: BigInt(e.current?.version ?? 0),
    })),
    counts: {
      create: plan.counts.CREATE,
      update: plan.counts.UPDATE,
      delete: plan.counts.DELETE,
      unchanged: plan.counts.UNCHANGED,
    },
    applied: result.applied,
  });
}
