/**
 * Every Connect service of the API, registered in one place.
 */

import type { ConnectRouter } from "@connectrpc/connect";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { JobCommands } from "../core/job-commands.js";
import { createHealthService } from "./health-service.js";
import { createJobService } from "./job-service.js";

export interface RoutesDeps {
  commands: JobCommands;
  /** Readiness reported by grpc.health.v1.Health. */
  ready: () => boolean;
  /** More services (tests, admin). */
  extra?: (router: ConnectRouter) => void;
}

export function routes(deps: RoutesDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(JobService, createJobService(deps.commands));
    router.service(Health, createHealthService(deps.ready));
    deps.extra?.(router);
  };
}
