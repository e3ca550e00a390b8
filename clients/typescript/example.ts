/**
 * Calling Chronoring from a TypeScript service with the generated client.
 *
 *   npx tsx clients/typescript/example.ts [baseUrl]     (default http://127.0.0.1:7070)
 *   CHRONORING_TOKEN=eyJ... npx tsx clients/typescript/example.ts https://chronoring.example.com
 *
 * With auth on (the default), it sends the token in CHRONORING_TOKEN, or the
 * admin token `npm run dev` keeps in .data/auth/admin.token.
 *
 * Creates a weekday cron job in Europe/Berlin, previews its next fire times,
 * runs it once by hand and lists the execution, renames it with optimistic
 * concurrency, pauses it and deletes it; then shows what the error codes look
 * like. Start a server first with `npm run dev`.
 */

import { existsSync, readFileSync } from "node:fs";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type CallOptions,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
} from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ExecutionStatus } from "../../gen/chronoring/v1/execution_pb.js";
import { JobStatus } from "../../gen/chronoring/v1/job_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import type { ScheduleSpecSchema } from "../../gen/chronoring/v1/schedule_pb.js";

const baseUrl = process.argv[2] ?? "http://127.0.0.1:7070";
const DEV_TOKEN_FILE = ".data/auth/admin.token";
const token =
  process.env.CHRONORING_TOKEN ??
  (existsSync(DEV_TOKEN_FILE) ? readFileSync(DEV_TOKEN_FILE, "utf8").trim() : undefined);

/** Sends `authorization: Bearer <token>` on every call (a JWT from your identity provider). */
const bearer: Interceptor = (next) => (req) => {
  if (token) req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};

// gRPC over HTTP/2 (h2c for http:// URLs). For the Connect protocol over
// HTTP/1.1 use createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors }).
const jobs = createClient(JobService, createGrpcTransport({ baseUrl, interceptors: [bearer] }));

/** Every call gets a deadline and a request id that the server logs and echoes. */
function opts(requestId: string): CallOptions {
  return { timeoutMs: 5_000, headers: { "x-request-id": `example-${requestId}` } };
}

/**
 * Retries a call that is safe to repeat (reads, Pause, Resume, Delete) while the
 * server says Unavailable: a backend was unreachable and nothing was changed.
 * CreateJob and TriggerJob are not idempotent: a retry may create a second job
 * or run.
 */
async function retrying<T>(call: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const code = ConnectError.from(err).code;
      const transient = code === Code.Unavailable || code === Code.DeadlineExceeded;
      if (!transient || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

/** What went wrong, for a person; one branch per code the API documents. */
function explain(err: unknown): string {
  const e = ConnectError.from(err);
  switch (e.code) {
    case Code.InvalidArgument: {
      // The message starts with the request field at fault: `schedule.cron: ...`.
      const [field, ...problem] = e.rawMessage.split(": ");
      return `bad request, field "${field}": ${problem.join(": ")}`;
    }
    case Code.NotFound:
      return `no such job or execution: ${e.rawMessage}`;
    case Code.FailedPrecondition:
      return `not allowed in the job's current state: ${e.rawMessage}`;
    case Code.Aborted:
      return `the job changed meanwhile (expected_version); read it again: ${e.rawMessage}`;
    case Code.Unauthenticated:
      // "missing bearer token", "token expired", "signature invalid", ...
      return `no valid token (set CHRONORING_TOKEN): ${e.rawMessage}`;
    case Code.PermissionDenied:
      // Names the role needed: "chronoring.v1.JobService/CreateJob needs role editor".
      return `the token's role is not enough: ${e.rawMessage}`;
    case Code.Unavailable:
      return `Chronoring or its database is unavailable; retry later (is it running at ${baseUrl}?)`;
    case Code.DeadlineExceeded:
      return "no answer within the deadline";
    default:
      // Internal: the message holds only a correlation id to look up in the server log.
      return `${Code[e.code]}: ${e.rawMessage} (request id ${e.metadata.get("x-request-id")})`;
  }
}

function show(label: string, time: Date | undefined, extra = ""): void {
  console.log(`  ${label.padEnd(22)} ${time?.toISOString() ?? "-"} ${extra}`);
}

async function main(): Promise<void> {
  const schedule: MessageInitShape<typeof ScheduleSpecSchema> = {
    // 09:00 on weekdays, Berlin wall-clock time: it follows daylight saving.
    kind: { case: "cron", value: "0 9 * * MON-FRI" },
    timeZone: "Europe/Berlin",
  };

  // 1. Create. A noop target so that running the example calls nothing; a real job would use
  //    { case: "http", value: { method: "POST", url: "https://example.com/hook", timeout: { seconds: 10n } } }
  //    or { case: "script", value: { command: "backup", args: ["--full"] } } (worker allow-list).
  const { job } = await jobs.createJob(
    {
      name: "weekday report (example)",
      owner: "example",
      tags: ["example"],
      schedule,
      target: { kind: { case: "noop", value: {} } },
    },
    opts("create"),
  );
  if (!job) throw new Error("CreateJob returned no job");
  console.log(`created ${job.id} (${JobStatus[job.status]}, version ${job.version})`);
  show("next run", job.nextRunTime && timestampDate(job.nextRunTime));

  try {
    // 2. Preview: the same spec, without saving anything.
    const { fireTimes } = await retrying(() =>
      jobs.previewSchedule({ schedule, count: 5 }, opts("preview")),
    );
    console.log("next fire times (UTC, then Berlin):");
    for (const f of fireTimes) show("", f.time && timestampDate(f.time), f.localTime);

    // 3. Run it once now, then list its executions until the run has finished.
    const { execution } = await jobs.triggerJob({ id: job.id }, opts("trigger"));
    console.log(`triggered ${execution?.id} (${ExecutionStatus[execution?.status ?? 0]})`);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const page = await retrying(() =>
        jobs.listExecutions({ jobId: job.id, pageSize: 10 }, opts("executions")),
      );
      const done = page.executions.find(
        (e) => e.status === ExecutionStatus.SUCCEEDED || e.status === ExecutionStatus.FAILED,
      );
      if (done || Date.now() > deadline) {
        console.log("executions:");
        for (const e of page.executions) {
          show(
            ExecutionStatus[e.status],
            e.scheduledTime && timestampDate(e.scheduledTime),
            e.result || e.error,
          );
        }
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }

    // 4. Rename, refusing to overwrite someone else's change (Aborted if the version moved).
    try {
      const { job: renamed } = await jobs.updateJob(
        {
          job: { id: job.id, name: "weekday report (renamed)" },
          updateMask: { paths: ["name"] },
          expectedVersion: job.version,
        },
        opts("rename"),
      );
      console.log(`renamed: "${renamed?.name}", version ${renamed?.version}`);
    } catch (err) {
      if (ConnectError.from(err).code !== Code.Aborted) throw err;
      console.log(explain(err));
    }

    // 5. Pause: no scheduled run fires until ResumeJob (TriggerJob still works).
    const { job: paused } = await retrying(() => jobs.pauseJob({ id: job.id }, opts("pause")));
    console.log(
      `paused: ${JobStatus[paused?.status ?? 0]}, next run ${paused?.nextRunTime ?? "none"}`,
    );
  } finally {
    // 6. Delete (cancel): no run starts after this returns. Safe to repeat.
    const { job: deleted } = await retrying(() => jobs.deleteJob({ id: job.id }, opts("delete")));
    console.log(`deleted: ${JobStatus[deleted?.status ?? 0]}`);
  }

  // 7. What errors look like: each is a ConnectError with a code.
  const mistakes: Array<[string, () => Promise<unknown>]> = [
    [
      "cron with minute 61",
      () => jobs.previewSchedule({ schedule: { kind: { case: "cron", value: "61 * * * *" } } }),
    ],
    [
      "unknown time zone",
      () => jobs.previewSchedule({ schedule: { ...schedule, timeZone: "Mars/Olympus" } }),
    ],
    ["resume a deleted job", () => jobs.resumeJob({ id: job.id })],
    ["job that does not exist", () => jobs.getJob({ id: `job_${"0".repeat(26)}` })],
  ];
  console.log("errors:");
  for (const [what, call] of mistakes) {
    try {
      await call();
      console.log(`  ${what}: unexpectedly succeeded`);
    } catch (err) {
      console.log(`  ${what}: ${Code[ConnectError.from(err).code]} - ${explain(err)}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(`example failed: ${explain(err)}`);
  process.exitCode = 1;
});
