// Load test: create Chronoring jobs over the Connect protocol (JSON over HTTP/1.1).
//
// UNTESTED HERE: k6 is not installed in this repository's environment, so this
// script has never been run by its CI. The requests it sends were checked with
// curl against `npm run dev` (same URLs, headers and JSON bodies); the k6 parts
// (options, checks, metrics) follow the k6 documentation. Report what breaks.
//
//   k6 run clients/k6/create-jobs.js
//   k6 run -e CHRONORING_URL=http://10.0.0.5:7070 -e RATE=200 -e DURATION=5m clients/k6/create-jobs.js
//   k6 run -e KEEP=1 clients/k6/create-jobs.js      # leave the jobs in place (no teardown)
//   k6 run -e TOKEN="$(cat .data/auth/admin.token)" clients/k6/create-jobs.js
//
// With auth on (the default), every call needs a token of role editor or more
// (CreateJob, DeleteJob in teardown): pass it as -e TOKEN=...; `npm run dev`
// prints one and keeps it in .data/auth/admin.token.
//
// Every job is owned by `k6-<RUN_ID>` and tagged `k6`, so that teardown (or you)
// can find them: ListJobs {"owner":"k6-<RUN_ID>"}. Jobs use the noop target, so
// they cost a worker a few milliseconds per run and call nothing outside.
//
// The Connect protocol: POST <base>/<service>/<method>, body = the request in
// proto JSON (lowerCamel field names, Durations as "1.5s", Timestamps as RFC 3339,
// int64 as strings). 200 carries the response; an error is a 4xx/5xx status with
// {"code":"invalid_argument","message":"schedule.cron: ..."}.

import { check, fail } from "k6";
import http from "k6/http";
import { Counter } from "k6/metrics";

const BASE = (__ENV.CHRONORING_URL || "http://127.0.0.1:7070").replace(/\/$/, "");
const RUN_ID = __ENV.RUN_ID || String(Date.now());
const OWNER = `k6-${RUN_ID}`;
const HEADERS = {
  "Content-Type": "application/json",
  "Connect-Protocol-Version": "1",
  ...(__ENV.TOKEN ? { Authorization: `Bearer ${__ENV.TOKEN}` } : {}),
};

/** Connect error codes seen, by code (`invalid_argument`, `unavailable`, ...). */
const rpcErrors = new Counter("chronoring_rpc_errors");

export const options = {
  scenarios: {
    create: {
      // Requests per second regardless of latency: a slow server shows up as latency
      // and dropped iterations, not as a lower request rate.
      executor: "constant-arrival-rate",
      rate: Number(__ENV.RATE || 50),
      timeUnit: "1s",
      duration: __ENV.DURATION || "1m",
      preAllocatedVUs: Number(__ENV.VUS || 20),
      maxVUs: Number(__ENV.MAX_VUS || 200),
    },
  },
  thresholds: {
    "http_req_failed{rpc:CreateJob}": ["rate<0.01"],
    "http_req_duration{rpc:CreateJob}": ["p(95)<250", "p(99)<500"],
    checks: ["rate>0.99"],
  },
  // Cancelling thousands of jobs one call at a time takes a while.
  teardownTimeout: "10m",
};

/** One unary call; returns the decoded response, or undefined after counting the error. */
function rpc(service, method, request) {
  const res = http.post(`${BASE}/${service}/${method}`, JSON.stringify(request), {
    headers: HEADERS,
    tags: { rpc: method },
  });
  if (res.status === 200) return res.json();
  let code = "unknown";
  try {
    code = res.json("code") || code;
  } catch (_) {
    // not a Connect error body (a proxy's HTML page, a closed connection)
    code = res.status === 0 ? "connection_failed" : `http_${res.status}`;
  }
  rpcErrors.add(1, { rpc: method, code });
  return undefined;
}

const jobs = (method, request) => rpc("chronoring.v1.JobService", method, request);

/** A mix of the three repeating and one-time schedule kinds. */
const SCHEDULES = [
  { cron: "*/5 * * * *", timeZone: "Europe/Berlin" },
  { cron: "cron(0 9 ? * MON-FRI *)", timeZone: "America/New_York" },
  { interval: "rate(1 hour)" },
  { interval: "15m" },
  { after: "60s" },
];

export function setup() {
  const health = rpc("grpc.health.v1.Health", "Check", {});
  if (health?.status !== "SERVING") {
    fail(`Chronoring at ${BASE} is not serving: ${JSON.stringify(health)}`);
  }
  return { owner: OWNER };
}

export default function (data) {
  const schedule = SCHEDULES[__ITER % SCHEDULES.length];
  const created = jobs("CreateJob", {
    name: `k6 ${__VU}-${__ITER}`,
    owner: data.owner,
    tags: ["k6", `vu-${__VU}`],
    schedule,
    target: { noop: { sleep: "0.010s" } },
  });
  check(created, {
    "CreateJob returns an ACTIVE job": (r) =>
      r !== undefined && r.job.status === "JOB_STATUS_ACTIVE",
    "with its next run time": (r) => r !== undefined && typeof r.job.nextRunTime === "string",
  });
}

/** Cancels every job this run created (they stay listed, CANCELLED). Skipped with KEEP=1. */
export function teardown(data) {
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
    for (const job of page.jobs || []) {
      if (jobs("DeleteJob", { id: job.id })) cancelled++;
    }
    pageToken = page.nextPageToken || "";
  } while (pageToken);
  console.log(`teardown: cancelled ${cancelled} jobs of ${data.owner}`);
}
