import { Histogram, type Registry } from "prom-client";

/** One finished call, as the call interceptor sees it. */
export interface RpcCall {
  /** The service's full name, e.g. `chronoring.v1.JobService`. */
  service: string;
  /** The method's name, e.g. `CreateJob`. */
  method: string;
  /** The Connect code in snake case (`ok`, `invalid_argument`, ...; `canceled` when the client left). */
  code: string;
  seconds: number;
}

/** What the call interceptor records about each call. */
export interface RpcMetrics {
  observe(call: RpcCall): void;
}

/**
 * Durations up to 10 s in fine steps: handlers are store calls (milliseconds
 * when healthy, the SDK's retries when throttled). A stream (health Watch)
 * that lives for minutes lands in the +Inf bucket when it ends.
 */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `chronoring_rpc_duration_seconds{service,method,code}`: one histogram, whose
 * `_count` is the request count (no separate counter, so that rates and
 * latencies always agree). Labels are bounded: the methods of the registered
 * services and the closed set of Connect codes.
 */
export function createRpcMetrics(registry: Registry): RpcMetrics {
  const duration = new Histogram({
    name: "chronoring_rpc_duration_seconds",
    help: "API calls by service, method and Connect code, from the request to the last response message (streams: when they end)",
    labelNames: ["service", "method", "code"],
    buckets: BUCKETS,
    registers: [registry],
  });
  return {
    observe: ({ service, method, code, seconds }) =>
      duration.observe({ service, method, code }, seconds),
  };
}
