/**
 * Every Connect service of the API, registered in one place.
 */

import type { ConnectRouter } from "@connectrpc/connect";
import { ClusterService } from "../../gen/chronoring/v1/cluster_service_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { ClusterQueries } from "../core/cluster-view.js";
import type { JobCommands } from "../core/job-commands.js";
import type { WorkflowCommands } from "../core/workflow/commands.js";
import { createClusterService } from "./cluster-service.js";
import { createHealthService } from "./health-service.js";
import { createJobService } from "./job-service.js";
import { createWorkflowService } from "./workflow-service.js";

export interface RoutesDeps {
  commands: JobCommands;
  /** WorkflowService; absent in tests of the job API alone. */
  workflows?: WorkflowCommands;
  /** ClusterService; absent in tests of the job API alone. */
  cluster?: ClusterQueries;
  /** Readiness reported by grpc.health.v1.Health. */
  ready: () => boolean;
  /** More services (tests, admin). */
  extra?: (router: ConnectRouter) => void;
}

export function routes(deps: RoutesDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(JobService, createJobService(deps.commands));
    if (deps.workflows) router.service(WorkflowService, createWorkflowService(deps.workflows));
    if (deps.cluster) router.service(ClusterService, createClusterService(deps.cluster));
    router.service(Health, createHealthService(deps.ready));
    deps.extra?.(router);
  };
}
