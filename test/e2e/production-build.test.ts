import { chmodSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../gen/chronoring/v1/execution_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { authedClient, type TestAuth, testAuth } from "../support/auth.js";
import { e2eCluster, type Node } from "../support/processes.js";
import { type ProdLayout, prodLayout } from "../support/prod-layout.js";
import { waitFor } from "../support/wait.js";

/** The major version of the node a process runs, from its default metrics. */
async function nodeMajor(node: Node): Promise<number> {
  const text = await (await fetch(node.metricsUrl)).text();
  const match = /^nodejs_version_info\{[^}]*version="v(\d+)\./m.exec(text);
  if (!match) throw new Error(`${node.name}: no nodejs_version_info in /metrics`);
  return Number(match[1]);
}

/**
 * The settings of this node that the health check reads, as a container gives
 * it its own environment: roles, port, and the auth settings (the api role
 * does not load without its key settings while auth is on).
 */
function checkOf(node: Node, auth: Record<string, string>): Record<string, string> {
  const port = new URL(node.metricsUrl).port;
  const common = { CHRONORING_ROLES: node.roles.join(","), ...auth };
  return node.roles.includes("api")
    ? { ...common, CHRONORING_API_PORT: port }
    : { ...common, CHRONORING_METRICS_PORT: port };
}

/** The user id a running process has, from /proc. */
const uidOf = (pid: number) =>
  Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

// The Dockerfile's runtime stage makes the same layout: keep the two alike.
describe("the production build: node dist/main.js, production dependencies only, read-only app folder", () => {
  let layout: ProdLayout;
  // Auth on, as production has it by default: the nodes read a JWKS file, the
  // test calls with a token signed by its key (src/auth, as `npm run token`).
  let auth: TestAuth;
  let authEnv: Record<string, string>;
  const cluster = e2eCluster("prod-build", {}, () => layout.launch());
  let api: Node;
  let worker: Node;

  beforeAll(async () => {
    auth = await testAuth();
    // The app may run as nobody: the JWKS's folder must be readable to it.
    chmodSync(dirname(auth.jwksPath), 0o755);
    authEnv = Object.fromEntries(
      Object.entries(auth.settings).map(([k, v]) => [`CHRONORING_${k}`, v]),
    );
    layout = await prodLayout();
  }, 300_000);
  afterAll(async () => {
    await cluster.stopAll();
    layout?.remove();
    auth?.cleanup();
  });

  it("installs the production dependencies alone: no tsx, TypeScript or test tools", () => {
    const has = (pkg: string) => {
      try {
        readFileSync(join(layout.app, "node_modules", pkg, "package.json"));
        return true;
      } catch {
        return false;
      }
    };
    expect(has("@connectrpc/connect-node")).toBe(true);
    for (const dev of ["tsx", "typescript", "vitest", "@biomejs/biome"]) {
      expect(has(dev), dev).toBe(false);
    }
  });

  it("one build for every role: an api+scheduler process and a worker process fire a job on Node >= 22, and pass the health check", async () => {
    [api, worker] = await Promise.all([
      cluster.start("api-1", ["api", "scheduler"], auth.settings),
      cluster.start("worker-1", ["worker"], auth.settings),
    ]);
    await cluster.untilOwns(api);
    if (layout.user) {
      expect(uidOf(api.process.pid)).toBe(65534);
      expect(uidOf(worker.process.pid)).toBe(65534);
    }
    expect(await nodeMajor(api)).toBeGreaterThanOrEqual(22);
    expect(await nodeMajor(worker)).toBeGreaterThanOrEqual(22);
    for (const node of [api, worker]) {
      const check = layout.healthcheck(checkOf(node, authEnv));
      expect(check.status, `${node.name}: ${check.stderr}`).toBe(0);
    }

    const token = await auth.token({ roles: ["editor"] });
    const client = authedClient(JobService, api.apiUrl!, token);
    const { job } = await client.createJob({
      name: "built output",
      owner: "e2e",
      schedule: { kind: { case: "at", value: timestampFromMs(Date.now() + 1_500) } },
      target: { kind: { case: "noop", value: {} } },
    });
    const run = await waitFor("the run to succeed", async () => {
      const { executions } = await client.listExecutions({ jobId: job!.id });
      return executions.find((e) => e.status === ExecutionStatus.SUCCEEDED);
    });
    expect(run.workerId).toBe("worker-1");
    // Sent by the dispatch thread, which runs the built dispatch-worker.js without tsx.
    expect(await cluster.metric(api, "chronoring_runs_sent_total")).toBeGreaterThanOrEqual(1);
    expect(await cluster.metric(api, "chronoring_runs_resent_total")).toBe(0);
  });

  it("SIGTERM drains and exits 0; the health check then fails", async () => {
    expect(await cluster.signal(worker, "SIGTERM")).toBe("0");
    expect(await cluster.signal(api, "SIGTERM")).toBe("0");
    expect(readFileSync(api.process.logFile, "utf8")).toContain("SIGTERM, shutting down");
    expect(layout.healthcheck(checkOf(api, authEnv)).status).toBe(1);
    expect(layout.healthcheck(checkOf(worker, authEnv)).status).toBe(1);
  });

  it("wrote nothing under the app folder (the image's root filesystem is read-only)", () => {
    expect(layout.changes()).toEqual([]);
  });
});
