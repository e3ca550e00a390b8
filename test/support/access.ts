import type { DescMethod } from "@bufbuild/protobuf";
import { createConnectRouter } from "@connectrpc/connect";
import type { Access } from "../../src/api/access.js";
import { routes } from "../../src/api/routes.js";

/**
 * The role table of docs/security.md, as the tests expect it: the least role
 * each RPC needs. `src/api/access.ts` must agree with it, method for method.
 */
export const DOCUMENTED_ACCESS: Readonly<Record<string, Access>> = {
  "chronoring.v1.JobService/GetJob": "viewer",
  "chronoring.v1.JobService/ListJobs": "viewer",
  "chronoring.v1.JobService/ListExecutions": "viewer",
  "chronoring.v1.JobService/GetExecution": "viewer",
  "chronoring.v1.JobService/PreviewSchedule": "viewer",
  "chronoring.v1.JobService/GetFireStats": "viewer",
  "chronoring.v1.JobService/ListFires": "viewer",
  "chronoring.v1.JobService/PauseJob": "operator",
  "chronoring.v1.JobService/ResumeJob": "operator",
  "chronoring.v1.JobService/TriggerJob": "operator",
  "chronoring.v1.JobService/CreateJob": "editor",
  "chronoring.v1.JobService/BatchCreateJobs": "editor",
  "chronoring.v1.JobService/ApplyJobs": "editor",
  "chronoring.v1.JobService/ImportJobs": "editor",
  "chronoring.v1.JobService/UpdateJob": "editor",
  "chronoring.v1.JobService/DeleteJob": "editor",
  "chronoring.v1.CalendarService/GetCalendar": "viewer",
  "chronoring.v1.CalendarService/ListCalendars": "viewer",
  "chronoring.v1.CalendarService/CreateCalendar": "editor",
  "chronoring.v1.CalendarService/UpdateCalendar": "editor",
  "chronoring.v1.CalendarService/DeleteCalendar": "editor",
  "chronoring.v1.WorkflowService/GetWorkflow": "viewer",
  "chronoring.v1.WorkflowService/ListWorkflows": "viewer",
  "chronoring.v1.WorkflowService/ListWorkflowRuns": "viewer",
  "chronoring.v1.WorkflowService/GetWorkflowRun": "viewer",
  "chronoring.v1.WorkflowService/TriggerWorkflow": "operator",
  "chronoring.v1.WorkflowService/CreateWorkflow": "editor",
  "chronoring.v1.WorkflowService/DeleteWorkflow": "editor",
  "chronoring.v1.BackfillService/GetBackfill": "viewer",
  "chronoring.v1.BackfillService/ListBackfills": "viewer",
  "chronoring.v1.BackfillService/BackfillJob": "operator",
  "chronoring.v1.BackfillService/CancelBackfill": "operator",
  "chronoring.v1.DeadLetterService/ListDeadRuns": "viewer",
  "chronoring.v1.DeadLetterService/RedriveDeadRuns": "operator",
  "chronoring.v1.DeadLetterService/PurgeDeadRuns": "editor",
  "chronoring.v1.ClusterService/GetCluster": "viewer",
  "chronoring.v1.ClusterService/ListWorkerRuns": "viewer",
  "chronoring.v1.ClusterService/PauseWorker": "operator",
  "chronoring.v1.ClusterService/ResumeWorker": "operator",
  "chronoring.v1.AuditService/ListAuditEvents": "viewer",
  "chronoring.v1.TenantService/GetTenant": "viewer",
  "chronoring.v1.TenantService/ListTenants": "admin",
  "chronoring.v1.TenantService/UpdateTenantQuota": "admin",
  "grpc.health.v1.Health/Check": "open",
  "grpc.health.v1.Health/List": "open",
  "grpc.health.v1.Health/Watch": "open",
};

/** A dependency the routes hold but never call while being registered. */
const unused = <T>(): T =>
  new Proxy(
    {},
    {
      get: (_, name) => {
        throw new Error(`not called at registration: ${String(name)}`);
      },
    },
  ) as T;

/** The methods of every service the API server registers, with every optional service on. */
export function registeredMethods(): DescMethod[] {
  const router = createConnectRouter();
  routes({
    commands: unused(),
    calendars: unused(),
    workflows: unused(),
    cluster: unused(),
    deadRuns: unused(),
    audit: unused(),
    tenants: unused(),
    backfills: unused(),
    ready: () => true,
  })(router);
  return router.handlers.map((h) => h.method);
}
