/**
 * chronoring.v1.AuditService: ListAuditEvents over core's AuditQueries, with
 * the request's filters checked and the events converted to proto here.
 */

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type AuditEvent as AuditEventPb,
  AuditEventSchema,
  type AuditService,
  type ListAuditEventsRequest,
} from "../../gen/chronoring/v1/audit_service_pb.js";
import { TENANT_PATTERN } from "../auth/authenticate.js";
import type { AuditEvent, AuditRequest } from "../core/audit.js";
import type { AuditQueries } from "../core/audit-queries.js";
import { invalidArgument } from "../core/errors.js";
import { validatePageSize } from "../core/validate-job.js";
import { callerOf } from "./caller-context.js";
import { msFromTimestamp, pageTokenFromProto, pageTokenToProto } from "./codec.js";

/** `CreateJob`, or `chronoring.v1.JobService/CreateJob`. */
const METHOD_FILTER = /^(?:([A-Za-z_][A-Za-z0-9_.]{0,199})\/)?([A-Za-z_][A-Za-z0-9_]{0,99})$/;
/** As long as a subject or an id can be (`sub` is cut to 256 characters). */
const MAX_FILTER_CHARS = 256;

function requestFromProto(req: ListAuditEventsRequest): AuditRequest {
  const request: AuditRequest = { pageSize: validatePageSize(req.pageSize, "page_size") };
  if (req.startTime) request.fromMs = msFromTimestamp(req.startTime, "start_time");
  if (req.endTime) request.toMs = msFromTimestamp(req.endTime, "end_time");
  if (req.method !== "") {
    const match = METHOD_FILTER.exec(req.method);
    if (!match) {
      throw invalidArgument("method", "a method name (CreateJob), or service/method");
    }
    if (match[1] !== undefined) request.service = match[1];
    request.method = match[2]!;
  }
  for (const [field, value] of [
    ["subject", req.subject],
    ["resource_id", req.resourceId],
  ] as const) {
    if (value.length > MAX_FILTER_CHARS) {
      throw invalidArgument(field, `at most ${MAX_FILTER_CHARS} characters`);
    }
  }
  if (req.subject !== "") request.subject = req.subject;
  if (req.resourceId !== "") request.resourceId = req.resourceId;
  if (req.tenant !== "") {
    if (!TENANT_PATTERN.test(req.tenant)) {
      throw invalidArgument("tenant", `not a tenant name (${TENANT_PATTERN.source})`);
    }
    request.tenant = req.tenant;
  }
  const pageToken = pageTokenFromProto(req.pageToken);
  if (pageToken !== undefined) request.pageToken = pageToken;
  return request;
}

export function auditEventToProto(e: AuditEvent): AuditEventPb {
  return create(AuditEventSchema, {
    id: e.id,
    time: timestampFromMs(e.atMs),
    subject: e.subject ?? "",
    tenant: e.tenant ?? "",
    role: e.role ?? "",
    adminTenant: e.adminTenant ?? "",
    service: e.service,
    method: e.method,
    resourceIds: e.resourceIds,
    readOnly: e.readOnly,
    code: e.code,
    correlationId: e.correlationId,
  });
}

export function createAuditService(queries: AuditQueries): ServiceImpl<typeof AuditService> {
  return {
    async listAuditEvents(req, ctx) {
      const page = await queries.list(callerOf(ctx), requestFromProto(req));
      return {
        events: page.items.map(auditEventToProto),
        nextPageToken: pageTokenToProto(page.nextToken),
      };
    },
  };
}
