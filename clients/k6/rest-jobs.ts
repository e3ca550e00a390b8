/**
 * Load test over REST (`k6/http`, JSON): each iteration runs a job's lifecycle,
 * POST /jobs → GET /jobs/{id} → POST /jobs/{id}:pause → DELETE /jobs/{id}, so
 * the run leaves only cancelled jobs behind.
 *
 *   k6 run clients/k6/rest-jobs.ts
 *   k6 run --env CHRONORING_URL=https://chronoring.example.com --env CHRONORING_TOKEN=eyJ... \
 *          --env RATE=100 --env DURATION=5m clients/k6/rest-jobs.ts
 *
 * The paths are the REST mapping of JobService (transcoded from the protos'
 * `google.api.http` annotations): a body is the request message in proto JSON,
 * an answer the response message (`{"job":{...}}`).
 *
 * Not run by this repository's tests (k6 is not installed there); typechecked by
 * `npm test` against @types/k6. See clients/README.md.
 */

import { check } from "k6";
import http, { type RefinedResponse, type ResponseType } from "k6/http";
import type { Options } from "k6/options";
import {
  arrivalRate,
  BASE_URL,
  jobRequest,
  jsonHeaders,
  rpcErrors,
  rpcThresholds,
} from "./lib/chronoring.ts";

const RPCS = ["CreateJob", "GetJob", "PauseJob", "DeleteJob"];

export const options: Options = {
  scenarios: arrivalRate("lifecycle", 20),
  thresholds: {
    ...rpcThresholds("http_req_duration", RPCS),
    "http_req_failed{api:rest}": ["rate<0.01"],
  },
};

interface Job {
  id: string;
  status: string;
}

/** The job in a 200 answer, or undefined after counting the error by its status and code. */
function jobOf(res: RefinedResponse<ResponseType | undefined>, rpc: string): Job | undefined {
  if (res.status === 200) return (res.json() as { job?: Job }).job;
  let code = res.status === 0 ? "connection_failed" : `http_${res.status}`;
  try {
    const body = res.json() as { code?: string | number };
    if (body.code !== undefined) code = String(body.code);
  } catch (_) {
    // not a JSON error body (a proxy's HTML page)
  }
  rpcErrors.add(1, { rpc, code });
  return undefined;
}

/** Request params: the token, and the `rpc` tag the thresholds select on. */
const params = (rpc: string) => ({ headers: jsonHeaders(), tags: { rpc, api: "rest" } });

export default function (): void {
  const created = jobOf(
    http.post(`${BASE_URL}/jobs`, JSON.stringify(jobRequest(__VU, __ITER)), params("CreateJob")),
    "CreateJob",
  );
  if (
    !check(created, {
      "POST /jobs creates an ACTIVE job": (j) => j?.status === "JOB_STATUS_ACTIVE",
    })
  )
    return;
  const id = encodeURIComponent(created!.id);
  const got = jobOf(http.get(`${BASE_URL}/jobs/${id}`, params("GetJob")), "GetJob");
  check(got, { "GET /jobs/{id} returns it": (j) => j?.id === created!.id });
  const paused = jobOf(
    http.post(`${BASE_URL}/jobs/${id}:pause`, "{}", params("PauseJob")),
    "PauseJob",
  );
  check(paused, { "POST /jobs/{id}:pause pauses it": (j) => j?.status === "JOB_STATUS_PAUSED" });
  const deleted = jobOf(http.del(`${BASE_URL}/jobs/${id}`, null, params("DeleteJob")), "DeleteJob");
  check(deleted, { "DELETE /jobs/{id} cancels it": (j) => j?.status === "JOB_STATUS_CANCELLED" });
}
