/**
 * What the k6 scripts share: the target and token from the environment,
 * request headers, the job a load test creates, and an error counter.
 *
 *   CHRONORING_URL    http://host:port (h2c / HTTP/1.1) or https://host[:port]; default http://127.0.0.1:7070
 *   CHRONORING_TOKEN  a bearer token, sent as `authorization: Bearer <token>` (none when unset)
 *   RUN_ID            names this run's jobs: owner `k6-<RUN_ID>`; default the start time
 */

import { Counter } from "k6/metrics";

export const BASE_URL = (__ENV.CHRONORING_URL || "http://127.0.0.1:7070").replace(/\/+$/, "");
export const TOKEN = __ENV.CHRONORING_TOKEN || "";
export const OWNER = `k6-${__ENV.RUN_ID || String(Date.now())}`;

/** `authorization` when a token is set; every RPC but Health needs it once auth is on. */
export function authHeaders(): Record<string, string> {
  return TOKEN ? { authorization: `Bearer ${TOKEN}` } : {};
}

/** Headers of a JSON request (Connect or REST). */
export function jsonHeaders(): Record<string, string> {
  return { "Content-Type": "application/json", ...authHeaders() };
}

/** `host:port` and whether TLS is off, for `grpc.Client.connect` (which takes no URL). */
export function grpcTarget(): { address: string; plaintext: boolean } {
  const m = /^(https?):\/\/([^/]+)$/.exec(BASE_URL);
  if (!m)
    throw new Error(
      `CHRONORING_URL must be http://host:port or https://host[:port], not ${BASE_URL}`,
    );
  const tls = m[1] === "https";
  const hostPort = m[2]!;
  const hasPort = /:\d+$/.test(hostPort);
  return { address: hasPort ? hostPort : `${hostPort}:${tls ? 443 : 80}`, plaintext: !tls };
}

/** Failed calls, tagged by `rpc` and `code` (a gRPC status or Connect code, or `http_<status>`). */
export const rpcErrors = new Counter("chronoring_rpc_errors");

/** A mix of repeating and one-time schedules, in proto JSON (the CreateJobRequest field). */
const SCHEDULES = [
  { cron: "*/5 * * * *", timeZone: "Europe/Berlin" },
  { cron: "cron(0 9 ? * MON-FRI *)", timeZone: "America/New_York" },
  { interval: "rate(1 hour)" },
  { interval: "15m" },
  { after: "60s" },
];

/**
 * A CreateJobRequest in proto JSON, the body for Connect and REST alike (k6's gRPC client
 * takes the same JSON). A noop target costs a worker a few milliseconds and calls nothing.
 */
export function jobRequest(vu: number, iter: number): Record<string, unknown> {
  return {
    name: `k6 ${vu}-${iter}`,
    owner: OWNER,
    tags: ["k6", `vu-${vu}`],
    schedule: SCHEDULES[iter % SCHEDULES.length],
    target: { noop: { sleep: "0.010s" } },
  };
}

/**
 * One scenario running `name` at RATE iterations per second (default `rate`) for DURATION:
 * a fixed arrival rate whatever the latency, so a slow server shows as latency and
 * dropped iterations rather than as a lower rate.
 */
export function arrivalRate(name: string, rate: number) {
  return {
    [name]: {
      executor: "constant-arrival-rate" as const,
      rate: Number(__ENV.RATE || rate),
      timeUnit: "1s",
      duration: __ENV.DURATION || "1m",
      preAllocatedVUs: Number(__ENV.VUS || 20),
      maxVUs: Number(__ENV.MAX_VUS || 200),
    },
  };
}

/** Latency thresholds per call, by the `rpc` tag each request carries. */
export function rpcThresholds(metric: string, rpcs: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = { checks: ["rate>0.99"] };
  for (const rpc of rpcs) out[`${metric}{rpc:${rpc}}`] = ["p(95)<250", "p(99)<500"];
  return out;
}
