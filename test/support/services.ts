/**
 * Every service the app serves (src/api/routes.ts registers them all when
 * started as `startApp` does), for tests that walk their descriptors.
 */

import { AuditService } from "../../gen/chronoring/v1/audit_service_pb.js";
import { BackfillService } from "../../gen/chronoring/v1/backfill_service_pb.js";
import { CalendarService } from "../../gen/chronoring/v1/calendar_service_pb.js";
import { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import { DeadLetterService } from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { TenantService } from "../../gen/chronoring/v1/tenant_service_pb.js";
import { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";

export const SERVED_SERVICES = [
  JobService,
  CalendarService,
  WorkflowService,
  ClusterService,
  DeadLetterService,
  AuditService,
  TenantService,
  BackfillService,
  Health,
] as const;
