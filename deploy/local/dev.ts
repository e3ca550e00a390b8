import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ExecutionStatus } from "../../gen/chronoring/v1/execution_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { bearerInterceptor } from "../../src/auth/bearer.js";
import { startBackends, startPostgres } from "./backends.js";
import { type ChronoringProcess, startChronoring } from "./chronoring-process.js";
import { devAuth } from "./dev-auth.js";

/**
 * `npm run dev [-- --clean] [--schedulers N] [--workers N]`: the whole system
 * on local defaults. Starts etcd, DynamoDB Local (data kept in .data/) and the
 * SQS emulator, scheduler processes (the first also serves the API; they
 * share the partitions through etcd) and worker processes, makes a local
 * signing key and prints an admin token (see dev-auth.ts), creates a demo
 * cron job with it (once; it survives restarts) and prints its runs as they fire.
 * Ctrl-C stops everything.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const args = process.argv.slice(2);
const clean = args.includes("--clean");
const count = (flag: string) => {
  const i = args.indexOf(flag);
  return i < 0 ? 1 : Math.max(1, Number(args[i + 1]) || 1);
};
const schedulers = count("--schedulers");
const workers = count("--workers");
const dataDir = join(ROOT, ".data");
const say = (line: string) => process.stdout.write(`${line}\n`);

if (clean) {
  rmSync(dataDir, { recursive: true, force: true });
  say("dev: --clean: removed .data/");
}

const backends = await startBackends({ dataDir, log: (l) => say(`dev: ${l}`) });
// A local PostgreSQL (about 3 s to start; data kept in .data/postgres) that
// database jobs can name as the connection "local" (docs/database-jobs.md).
const postgres = await startPostgres({
  dataDir: join(dataDir, "postgres"),
  log: (l) => say(`dev: ${l}`),
});
const logDir = backends.logDir;
const auth = await devAuth(dataDir);
const env = {
  CHRONORING_DYNAMODB_ENDPOINT: backends.dynamodb,
  CHRONORING_SQS_ENDPOINT: backends.sqs,
  CHRONORING_ETCD_ENDPOINTS: backends.etcd,
  CHRONORING_AWS_REGION: backends.region,
  CHRONORING_DATABASE_CONNECTIONS: JSON.stringify({
    local: {
      host: postgres.host,
      port: postgres.port,
      database: postgres.database,
      user: postgres.user,
      password: postgres.password,
    },
  }),
  // Jobs here call services on this machine: admit loopback as a target
  // (production refuses it; see docs/security.md). The caller's setting wins.
  CHRONORING_TARGET_ALLOW: process.env.CHRONORING_TARGET_ALLOW ?? "127.0.0.0/8,::1",
  ...auth.env,
};
const procs: ChronoringProcess[] = [];
let stopping = false;
async function stop(code: number): Promise<never> {
  stopping = true;
  await Promise.all(procs.map((p) => p.process.stop()));
  await backends.stop();
  await postgres.stop();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

try {
  procs.push(
    await startChronoring({
      name: "scheduler-1",
      logDir,
      env: { ...env, CHRONORING_ROLES: "api,scheduler", CHRONORING_NODE_ID: "scheduler-1" },
    }),
  );
  for (let i = 2; i <= schedulers; i++) {
    procs.push(
      await startChronoring({
        name: `scheduler-${i}`,
        logDir,
        env: {
          ...env,
          CHRONORING_ROLES: "scheduler",
          CHRONORING_NODE_ID: `scheduler-${i}`,
          CHRONORING_METRICS_PORT: String(7070 + i),
        },
      }),
    );
  }
  for (let i = 1; i <= workers; i++) {
    procs.push(
      await startChronoring({
        name: `worker-${i}`,
        logDir,
        env: { ...env, CHRONORING_ROLES: "worker", CHRONORING_WORKER_ID: `worker-${i}` },
      }),
    );
  }
} catch (err) {
  say(`dev: ${String(err)}`);
  await stop(1);
}
const apiUrl = procs[0]!.apiUrl!;
say(
  `dev: API at ${apiUrl} (gRPC, gRPC-Web, Connect); metrics at ${apiUrl}/metrics; logs in ${logDir}`,
);

for (const line of auth.notes) say(`dev: ${line}`);

const client = createClient(
  JobService,
  createGrpcTransport({
    baseUrl: apiUrl,
    interceptors: auth.token ? [bearerInterceptor(auth.token)] : [],
  }),
);
if (!auth.token && !auth.off) {
  say("dev: no token to create the demo job with; the stack runs on (Ctrl-C to stop)");
  while (!stopping) await sleep(2000);
}
const existing = await client.listJobs({ owner: "demo", pageSize: 10 });
let demo = existing.jobs.find((j) => j.name === "demo: health check every 5 s");
if (!demo) {
  const created = await client.createJob({
    name: "demo: health check every 5 s",
    owner: "demo",
    tags: ["demo"],
    schedule: { kind: { case: "cron", value: "*/5 * * * * *" }, timeZone: "Europe/Berlin" },
    target: { kind: { case: "http", value: { method: "GET", url: `${apiUrl}/healthz` } } },
  });
  demo = created.job!;
  say(`dev: created demo job ${demo.id} (cron "*/5 * * * * *", Europe/Berlin, GET /healthz)`);
} else {
  say(`dev: demo job ${demo.id} kept from the last run (npm run dev -- --clean starts afresh)`);
}

const seen = new Set<string>();
say("dev: watching its runs (Ctrl-C to stop)");
while (!stopping) {
  try {
    const page = await client.listExecutions({ jobId: demo.id, pageSize: 20 });
    for (const e of [...page.executions].reverse()) {
      const done = e.status === ExecutionStatus.SUCCEEDED || e.status === ExecutionStatus.FAILED;
      if (!done || seen.has(e.id)) continue;
      seen.add(e.id);
      const scheduled = timestampMs(e.scheduledTime!);
      const late = e.startTime ? timestampMs(e.startTime) - scheduled : 0;
      say(
        `run ${new Date(scheduled).toISOString()} attempt ${e.attempt} ${ExecutionStatus[e.status]} ` +
          `on ${e.workerId}, started ${late} ms after its time: ${(e.result || e.error).split("\n")[0]}`,
      );
    }
  } catch (err) {
    say(`dev: ${String(err)}`);
  }
  await sleep(2000);
}
