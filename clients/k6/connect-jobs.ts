/**
 * Load test over the Connect protocol (JSON over HTTP/1.1, `k6/http`): creates
 * jobs at a fixed rate and leaves them in place until teardown cancels them, so
 * the scheduler carries a growing set of jobs while the test runs.
 *
 *   k6 run clients/k6/connect-jobs.ts
 *   k6 run --env CHRONORING_URL=https://chronoring.example.com --env CHRONORING_TOKEN=eyJ... \
 *          --env RATE=200 --env DURATION=5m clients/k6/connect-jobs.ts
 *   k6 run --env KEEP=1 clients/k6/connect-jobs.ts     # leave the jobs (no teardown)
 *
 * Every job is owned by `k6-<RUN_ID>` and tagged `k6`, so that teardown (or you)
 * can find them: ListJobs {"owner":"k6-<RUN_ID>"}.
 *
 * The Connect protocol: POST <base>/<service>/<method>, the request in proto JSON
 * (lowerCamel names, Durations "1.5s", Timestamps RFC 3339, int64 as strings).
 * 200 carries the response; an error is a 4xx/5xx with {"code":"invalid_argument",
 * "message":"schedule.cron: ..."}.
 *
 * Not run by this repository's tests (k6 is not installed there); the requests were
 * checked with curl against `npm run dev`, and the script is typechecked by
 * `npm test` against @types/k6. See clients/README.md.
 */

import { check, fail } from "k6";
import http from "k6/http";
import type { Options } from "k6/options";
import {
  arrivalRate,
  BASE_URL,
  jobRequest,
  jsonHeaders,
  OWNER,
  rpcErrors,
  rpcThresholds,
} from "./lib/chronoring.ts";

export const options: Options = {
  scenarios: arrivalRate("create", 50),
  thresholds: {
    ...rpcThresholds("http_req_duration", ["CreateJob"]),
    "http_req_failed{rpc:CreateJob}": ["rate<0.01"],
  },
  // Cancelling thousands of jobs one call at a time takes a while.
  teardownTimeout: "10m",
};

type Json = Record<string, unknown>;

/** One unary Connect call; the decoded response, or undefined after counting the error. */
function rpc(service: string, method: string, request: Json): Json | undefined {
  const res = http.post(`${BASE_URL}/${service}/${method}`, JSON.stringify(request), {
    headers: { ...jsonHeaders(), "Connect-Protocol-Version": "1" },
    tags: { rpc: method },
  });
  if (res.status === 200) return res.json() as Json;
  let code = res.status === 0 ? "connection_failed" : `http_${res.status}`;
  try {
    code = String(res.json("code") ?? code);
  } catch (_) {
    // not a Connect error body (a proxy's HTML page)
  }
  rpcErrors.add(1, { rpc: method, code });
  return undefined;
}

const jobs = (method: string, request: Json) => rpc("chronoring.v1.JobService", method, request);

export function setup(): { owner: string } {
  const health = rpc("grpc.health.v1.Health", "Check", {});
  if (health?.status !== "SERVING") {
    fail(`Chronoring at ${BASE_URL} is not serving: ${JSON.stringify(health)}`);
  }
  return { owner: OWNER };
}

export default function (): void {
  const created = jobs("CreateJob", jobRequest(__VU, __ITER));
  const job = created?.job as { status?: string; nextRunTime?: string } | undefined;
  check(job, {
    "CreateJob returns an ACTIVE job": (j) => j?.status === "JOB_STATUS_ACTIVE",
    "with its next run time": (j) => typeof j?.nextRunTime === "string",
  });
}

/** Cancels every job this run created (they stay listed, CANCELLED). Skipped with KEEP=1. */
export function teardown(data: { owner: string }): void {
  if (__ENV.KEEP) return;
  let pageToken = "";
  let cancelled = 0;
  do {
    const page = jobs("ListJobs", {
      owner: data.owner,
      status: "JOB_STATUS_ACTIVE",
      pageSize: 500,
      pageToken,
    });
    if (!page) break;
    for (const job of (page.jobs ?? []) as Array<{ id: string }>) {
      if (jobs("DeleteJob", { id: job.id })) cancelled++;
    }
    pageToken = String(page.nextPageToken ?? "");
  } while (pageToken);
  console.log(`teardown: cancelled ${cancelled} jobs of ${data.owner}`);
}
