import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../deploy/local/backends.js";
import {
  type ChronoringProcess,
  startChronoring,
} from "../../../deploy/local/chronoring-process.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { JobStatus } from "../../../gen/chronoring/v1/job_pb.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const dir = mkdtempSync(join(tmpdir(), "chronoring-memory-"));
let node: ChronoringProcess | undefined;
afterAll(async () => {
  await node?.process.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm start -- --store memory", () => {
  it("serves the API and fires a job in one process, with no backend reachable", async () => {
    node = await startChronoring({
      name: "memory",
      logDir: dir,
      env: {
        CHRONORING_STORE: "memory",
        CHRONORING_AUTH_MODE: "off",
        CHRONORING_API_PORT: String(await freePort()),
        CHRONORING_PARTITIONS: "8",
        CHRONORING_LOOKAHEAD_MS: "1000",
        CHRONORING_POLL_INTERVAL_MS: "200",
        // Nothing listens here: memory must not need them.
        CHRONORING_DYNAMODB_ENDPOINT: "http://127.0.0.1:9",
        CHRONORING_SQS_ENDPOINT: "http://127.0.0.1:9",
        CHRONORING_ETCD_ENDPOINTS: "http://127.0.0.1:9",
        CHRONORING_BACKEND_WAIT_MS: "0",
        CHRONORING_LOG_LEVEL: "info",
      },
    });
    const client = jobClient(node.apiUrl!);
    const { job } = await client.createJob({
      name: "once",
      owner: "me",
      schedule: { kind: { case: "at", value: timestampFromMs(Date.now() + 1500) } },
      target: { kind: { case: "noop", value: {} } },
    });
    const run = await waitFor("the run to succeed", async () => {
      const page = await client.listExecutions({ jobId: job!.id, pageSize: 10 });
      return page.executions.find((e) => e.status === ExecutionStatus.SUCCEEDED);
    });
    expect(run.attempt).toBe(1);
    expect((await client.getJob({ id: job!.id })).job?.status).toBe(JobStatus.FINISHED);
    const again = await client.listExecutions({ jobId: job!.id, pageSize: 10 });
    expect(again.executions).toHaveLength(1);
  });
});
