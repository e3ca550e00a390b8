/** ListJobsRequest and ListExecutionsRequest → the store's queries (wire-level checks only). */

import type {
  ListExecutionsRequest,
  ListJobsRequest,
} from "../../gen/chronoring/v1/job_service_pb.js";
import { invalidArgument } from "../core/errors.js";
import type { ExecutionQuery } from "../core/ports/execution-store.js";
import type { JobQuery } from "../core/ports/job-store.js";
import { validatePageSize } from "../core/validate-job.js";
import { executionStatusFromProto, jobStatusFromProto, pageTokenFromProto } from "./codec.js";

export function jobQueryFromProto(req: ListJobsRequest): JobQuery {
  const query: JobQuery = { pageSize: validatePageSize(req.pageSize, "page_size") };
  const status = jobStatusFromProto(req.status, "status");
  const pageToken = pageTokenFromProto(req.pageToken);
  if (status !== undefined) query.status = status;
  if (req.tag !== "") query.tag = req.tag;
  if (req.owner !== "") query.owner = req.owner;
  if (req.nameContains !== "") {
    if (req.nameContains.length > 200) {
      throw invalidArgument("name_contains", "at most 200 characters");
    }
    query.nameContains = req.nameContains;
  }
  if (req.neverRun) query.neverRun = true;
  if (req.externalKey !== "") query.externalKey = req.externalKey;
  if (req.applyNamespace !== "") query.applyNamespace = req.applyNamespace;
  if (pageToken !== undefined) query.pageToken = pageToken;
  return query;
}

export function executionQueryFromProto(req: ListExecutionsRequest): ExecutionQuery {
  if (req.jobId === "" && req.workerId === "") {
    throw invalidArgument("job_id", "job_id or worker_id is required");
  }
  const query: ExecutionQuery = { pageSize: validatePageSize(req.pageSize, "page_size") };
  const status = executionStatusFromProto(req.status, "status");
  const pageToken = pageTokenFromProto(req.pageToken);
  if (req.jobId !== "") query.jobId = req.jobId;
  if (req.workerId !== "") query.workerId = req.workerId;
  if (status !== undefined) query.status = status;
  if (pageToken !== undefined) query.pageToken = pageToken;
  return query;
}
