/**
 * Load test over gRPC (`k6/net/grpc`, h2c or TLS): each iteration runs a job's
 * lifecycle, CreateJob → GetJob → PauseJob → DeleteJob, so the run leaves only
 * cancelled jobs behind. The client compiles `proto/` itself: no generated code.
 *
 *   k6 run clients/k6/grpc-jobs.ts
 *   k6 run --env CHRONORING_URL=https://chronoring.example.com --env CHRONORING_TOKEN=eyJ... \
 *          --env RATE=100 --env DURATION=5m clients/k6/grpc-jobs.ts
 *
 * Not run by this repository's tests (k6 is not installed there); typechecked by
 * `npm test` against @types/k6. See clients/README.md.
 */

import { check, fail } from "k6";
import grpc from "k6/net/grpc";
import type { Options } from "k6/options";
import {
  arrivalRate,
  authHeaders,
  grpcTarget,
  jobRequest,
  OWNER,
  rpcErrors,
  rpcThresholds,
} from "./lib/chronoring.ts";

const RPCS = ["CreateJob", "GetJob", "PauseJob", "DeleteJob"];

// Paths are relative to this script; google/protobuf/* are built into k6.
const client = new grpc.Client();
client.load(["../../proto"], "chronoring/v1/job_service.proto");

export const options: Options = {
  scenarios: arrivalRate("lifecycle", 20),
  thresholds: rpcThresholds("grpc_req_duration", RPCS),
};

interface Job {
  id: string;
  status: string;
}

/** One unary call; the response message, or undefined after counting the error. */
function invoke(method: string, request: object): Record<string, unknown> | undefined {
  const res = client.invoke(`chronoring.v1.JobService/${method}`, request, {
    metadata: authHeaders(),
    tags: { rpc: method },
    timeout: "10s",
  });
  if (res && res.status === grpc.StatusOK) return res.message as Record<string, unknown>;
  rpcErrors.add(1, { rpc: method, code: String(res?.status ?? "no_response") });
  return undefined;
}

function connect(): void {
  const { address, plaintext } = grpcTarget();
  client.connect(address, { plaintext, timeout: "10s" });
}

export function setup(): { owner: string } {
  connect();
  // Health needs no token, even with authentication on.
  const health = client.healthCheck();
  if (health.Status !== grpc.HealthCheckServing) {
    fail(`Chronoring at ${grpcTarget().address} is not serving: ${JSON.stringify(health)}`);
  }
  client.close();
  return { owner: OWNER };
}

export default function (): void {
  // One connection per VU, opened on its first iteration (connect is not allowed in init).
  if (__ITER === 0) connect();

  const created = invoke("CreateJob", jobRequest(__VU, __ITER));
  const job = created?.job as Job | undefined;
  if (!check(job, { "CreateJob returns an ACTIVE job": (j) => j?.status === "JOB_STATUS_ACTIVE" }))
    return;
  const id = job!.id;
  check(invoke("GetJob", { id }), {
    "GetJob returns it": (r) => (r?.job as Job | undefined)?.id === id,
  });
  check(invoke("PauseJob", { id }), {
    "PauseJob pauses it": (r) => (r?.job as Job | undefined)?.status === "JOB_STATUS_PAUSED",
  });
  check(invoke("DeleteJob", { id }), {
    "DeleteJob cancels it": (r) => (r?.job as Job | undefined)?.status === "JOB_STATUS_CANCELLED",
  });
}
