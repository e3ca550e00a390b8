/**
 * Which role each RPC needs: the one table, beside the routes. Each service's
 * row is typed by its descriptor, so a method missing here is a compile error;
 * a test walks the services `routes.ts` registers and fails on any method
 * without a rule (the interceptor also refuses such a call).
 */

import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { AuditService } from "../../gen/chronoring/v1/audit_service_pb.js";
import { BackfillService } from "../../gen/chronoring/v1/backfill_service_pb.js";
import { CalendarService } from "../../gen/chronoring/v1/calendar_service_pb.js";
import { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import { DeadLetterService } from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { TenantService } from "../../gen/chronoring/v1/tenant_service_pb.js";
import { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { Role } from "../core/caller.js";

/** The least role a method needs, or `open`: no token at all (health checks only). */
export type Access = Role | "open";

/** One rule per method of the service, by its generated (camelCase) name. */
type Rules<S extends DescService> = { readonly [M in keyof S["method"]]: Access };

function rules<S extends DescService>(service: S, byMethod: Rules<S>): [string, Rules<S>] {
  return [service.typeName, byMethod];
}

const TABLE: ReadonlyMap<string, Readonly<Record<string, Access>>> = new Map<
  string,
  Readonly<Record<string, Access>>
>([
  rules(JobService, {
    getJob: "viewer",
    listJobs: "viewer",
    listExecutions: "viewer",
    getExecution: "viewer",
    previewSchedule: "viewer",
    getFireStats: "viewer",
    listFires: "viewer",
    pauseJob: "operator",
    resumeJob: "operator",
    triggerJob: "operator",
    createJob: "editor",
    batchCreateJobs: "editor",
    applyJobs: "editor",
    importJobs: "editor",
    updateJob: "editor",
    deleteJob: "editor",
  }),
  rules(CalendarService, {
    getCalendar: "viewer",
    listCalendars: "viewer",
    createCalendar: "editor",
    updateCalendar: "editor",
    deleteCalendar: "editor",
  }),
  rules(WorkflowService, {
    getWorkflow: "viewer",
    listWorkflows: "viewer",
    listWorkflowRuns: "viewer",
    getWorkflowRun: "viewer",
    triggerWorkflow: "operator",
    createWorkflow: "editor",
    deleteWorkflow: "editor",
  }),
  // A backfill runs the job, as TriggerJob and a redrive do.
  rules(BackfillService, {
    getBackfill: "viewer",
    listBackfills: "viewer",
    backfillJob: "operator",
    cancelBackfill: "operator",
  }),
  rules(DeadLetterService, {
    listDeadRuns: "viewer",
    redriveDeadRuns: "operator",
    purgeDeadRuns: "editor",
  }),
  rules(ClusterService, {
    getCluster: "viewer",
    listWorkerRuns: "viewer",
    pauseWorker: "operator",
    resumeWorker: "operator",
  }),
  // Every reader of a tenant may see who changed what in it (no request
  // bodies are recorded); only admins see across tenants (core/audit.ts).
  rules(AuditService, { listAuditEvents: "viewer" }),
  // Any role reads its own tenant's quotas (another tenant: admin, checked
  // in core); only an admin lists tenants or sets quotas.
  rules(TenantService, {
    getTenant: "viewer",
    listTenants: "admin",
    updateTenantQuota: "admin",
  }),
  // Load balancers and orchestrators probe health without credentials.
  rules(Health, { check: "open", list: "open", watch: "open" }),
]);

/** The rule of a method; undefined when it has none (then the call is refused). */
export function accessOf(method: DescMethod): Access | undefined {
  const byMethod = TABLE.get(method.parent.typeName);
  return byMethod && Object.hasOwn(byMethod, method.localName)
    ? byMethod[method.localName]
    : undefined;
}

/** `chronoring.v1.JobService/CreateJob`, as messages and docs name a method. */
export function procedureName(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}
