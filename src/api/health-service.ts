/**
 * grpc.health.v1.Health, answering from a readiness callback. The server as a
 * whole ("") and JobService share one status: the API is ready when its
 * backends are.
 */

import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import {
  type Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";

/** The services a client may ask about; "" is the server as a whole. */
export const HEALTH_SERVICES: readonly string[] = ["", JobService.typeName];

export interface HealthOptions {
  /** How often Watch re-reads the callback. */
  pollMs?: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export function createHealthService(
  ready: () => boolean,
  options: HealthOptions = {},
): ServiceImpl<typeof Health> {
  const pollMs = options.pollMs ?? 1000;
  const current = (): ServingStatus => {
    try {
      return ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    } catch {
      return ServingStatus.NOT_SERVING;
    }
  };
  const response = (status: ServingStatus): HealthCheckResponse =>
    create(HealthCheckResponseSchema, { status });

  return {
    check(req) {
      // The health spec asks for NOT_FOUND here (and SERVICE_UNKNOWN from Watch).
      if (!HEALTH_SERVICES.includes(req.service)) {
        throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      }
      return response(current());
    },

    list() {
      const status = current();
      return {
        statuses: Object.fromEntries(HEALTH_SERVICES.map((s) => [s, response(status)])),
      };
    },

    async *watch(req, ctx) {
      if (!HEALTH_SERVICES.includes(req.service)) {
        // The service may be registered later: keep the stream open.
        yield response(ServingStatus.SERVICE_UNKNOWN);
        while (!ctx.signal.aborted) await sleep(MAX_TIMER_MS, ctx.signal);
        return;
      }
      let last = current();
      yield response(last);
      while (!ctx.signal.aborted) {
        await sleep(pollMs, ctx.signal);
        if (ctx.signal.aborted) return;
        const now = current();
        if (now !== last) {
          last = now;
          yield response(now);
        }
      }
    },
  };
}
