/**
 * Every Connect service of the API, registered in one place.
 */

import type { ConnectRouter } from "@connectrpc/connect";
import { AuditService } from "../../gen/chronoring/v1/audit_service_pb.js";
import { BackfillService } from "../../gen/chronoring/v1/backfill_service_pb.js";
import { CalendarService } from "../../gen/chronoring/v1/calendar_service_pb.js";
import { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import { DeadLetterService } from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { TenantService } from "../../gen/chronoring/v1/tenant_service_pb.js";
import { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { AuditQueries } from "../core/audit-queries.js";
import type { BackfillCommands } from "../core/backfill/index.js";
import type { CalendarCommands } from "../core/calendar-commands.js";
import type { ClusterQueries } from "../core/cluster-view.js";
import type { DeadRunCommands } from "../core/dead-runs.js";
import type { FireLedger } from "../core/fire-ledger/index.js";
import type { FireStatsQueries } from "../core/fire-stats.js";
import type { JobCommands } from "../core/job-commands.js";
import type { TenantCommands } from "../core/tenant-commands.js";
import type { WorkflowCommands } from "../core/workflow/commands.js";
import { createAuditService } from "./audit-service.js";
import { createBackfillService } from "./backfill-service.js";
import { createCalendarService } from "./calendar-service.js";
import { createClusterService } from "./cluster-service.js";
import { createDeadLetterService } from "./dead-letter-service.js";
import { createHealthService } from "./health-service.js";
import { createJobService } from "./job-service.js";
import { createTenantService } from "./tenant-service.js";
import { createWorkflowService } from "./workflow-service.js";

export interface RoutesDeps {
  commands: JobCommands;
  /** CalendarService; absent in tests of the job API alone. */
  calendars?: CalendarCommands;
  /** WorkflowService; absent in tests of the job API alone. */
  workflows?: WorkflowCommands;
  /** ClusterService; absent in tests of the job API alone. */
  cluster?: ClusterQueries;
  /** DeadLetterService; absent in tests of the job API alone. */
  deadRuns?: DeadRunCommands;
  /** AuditService; absent in tests of the job API alone. */
  audit?: AuditQueries;
  /** JobService.GetFireStats; absent in tests of the job API alone. */
  fireStats?: FireStatsQueries;
  /** JobService.ListFires; absent in tests of the job API alone. */
  ledger?: FireLedger;
  /** TenantService; absent in tests of the job API alone. */
  tenants?: TenantCommands;
  /** BackfillService; absent in tests of the job API alone. */
  backfills?: BackfillCommands;
  /** Readiness reported by grpc.health.v1.Health. */
  ready: () => boolean;
  /** More services (tests, admin). */
  extra?: (router: ConnectRouter) => void;
}

export function routes(deps: RoutesDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(JobService, createJobService(deps.commands, deps.fireStats, deps.ledger));
    if (deps.calendars) router.service(CalendarService, createCalendarService(deps.calendars));
    if (deps.workflows) router.service(WorkflowService, createWorkflowService(deps.workflows));
    if (deps.cluster) router.service(ClusterService, createClusterService(deps.cluster));
    if (deps.deadRuns) router.service(DeadLetterService, createDeadLetterService(deps.deadRuns));
    if (deps.audit) router.service(AuditService, createAuditService(deps.audit));
    if (deps.tenants) router.service(TenantService, createTenantService(deps.tenants));
    if (deps.backfills) router.service(BackfillService, createBackfillService(deps.backfills));
    router.service(Health, createHealthService(deps.ready));
    deps.extra?.(router);
  };
}
