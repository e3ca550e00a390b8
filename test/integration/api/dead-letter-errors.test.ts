/**
 * DeadLetterService's bad requests get their documented codes through the
 * real server (as errors.test.ts does for JobService): InvalidArgument naming
 * the field, NotFound for an unknown execution, FailedPrecondition for one
 * that is not on the dead list.
 */

import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetterService } from "../../../gen/chronoring/v1/dead_letter_service_pb.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { deadLetterClient, jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

type DeadClient = Client<typeof DeadLetterService>;

const UNKNOWN_JOB = `job_${"0".repeat(26)}`;
const UNKNOWN_EXECUTION = `${UNKNOWN_JOB}:1700000000000:1`;

interface Row {
  name: string;
  call: (c: DeadClient, fx: { succeeded: string }) => Promise<unknown>;
  code: Code;
  field?: string;
}

const rows: Row[] = [
  {
    name: "ListDeadRuns with a malformed job_id",
    call: (c) => c.listDeadRuns({ jobId: "nope" }),
    code: Code.InvalidArgument,
    field: "job_id",
  },
  {
    name: "ListDeadRuns with page_size 501",
    call: (c) => c.listDeadRuns({ pageSize: 501 }),
    code: Code.InvalidArgument,
    field: "page_size",
  },
  {
    name: "ListDeadRuns with a forged page_token",
    call: (c) => c.listDeadRuns({ pageToken: "not-a-token" }),
    code: Code.InvalidArgument,
    field: "page_token",
  },
  {
    name: "RedriveDeadRuns with neither ids nor all",
    call: (c) => c.redriveDeadRuns({}),
    code: Code.InvalidArgument,
    field: "execution_ids",
  },
  {
    name: "RedriveDeadRuns with both ids and all",
    call: (c) => c.redriveDeadRuns({ executionIds: [UNKNOWN_EXECUTION], all: true }),
    code: Code.InvalidArgument,
    field: "execution_ids",
  },
  {
    name: "RedriveDeadRuns with job_id but not all",
    call: (c) => c.redriveDeadRuns({ executionIds: [UNKNOWN_EXECUTION], jobId: UNKNOWN_JOB }),
    code: Code.InvalidArgument,
    field: "job_id",
  },
  {
    name: "RedriveDeadRuns with all and a malformed job_id",
    call: (c) => c.redriveDeadRuns({ all: true, jobId: "job_x" }),
    code: Code.InvalidArgument,
    field: "job_id",
  },
  {
    name: "RedriveDeadRuns with a malformed execution id",
    call: (c) => c.redriveDeadRuns({ executionIds: [UNKNOWN_EXECUTION, "nope"] }),
    code: Code.InvalidArgument,
    field: "execution_ids[1]",
  },
  {
    name: "RedriveDeadRuns with a repeated execution id",
    call: (c) => c.redriveDeadRuns({ executionIds: [UNKNOWN_EXECUTION, UNKNOWN_EXECUTION] }),
    code: Code.InvalidArgument,
    field: "execution_ids[1]",
  },
  {
    name: "RedriveDeadRuns with 101 ids",
    call: (c) =>
      c.redriveDeadRuns({
        executionIds: Array.from({ length: 101 }, (_, i) => `${UNKNOWN_JOB}:${i}:1`),
      }),
    code: Code.InvalidArgument,
    field: "execution_ids",
  },
  {
    name: "RedriveDeadRuns of an unknown execution",
    call: (c) => c.redriveDeadRuns({ executionIds: [UNKNOWN_EXECUTION] }),
    code: Code.NotFound,
  },
  {
    name: "RedriveDeadRuns of an execution that is not DEAD",
    call: (c, fx) => c.redriveDeadRuns({ executionIds: [fx.succeeded] }),
    code: Code.FailedPrecondition,
  },
  {
    name: "PurgeDeadRuns with neither ids nor all",
    call: (c) => c.purgeDeadRuns({}),
    code: Code.InvalidArgument,
    field: "execution_ids",
  },
  {
    name: "PurgeDeadRuns with a malformed execution id",
    call: (c) => c.purgeDeadRuns({ executionIds: ["x"] }),
    code: Code.InvalidArgument,
    field: "execution_ids[0]",
  },
  {
    name: "PurgeDeadRuns of an unknown execution",
    call: (c) => c.purgeDeadRuns({ executionIds: [UNKNOWN_EXECUTION] }),
    code: Code.NotFound,
  },
  {
    name: "PurgeDeadRuns of an execution that is not DEAD",
    call: (c, fx) => c.purgeDeadRuns({ executionIds: [fx.succeeded] }),
    code: Code.FailedPrecondition,
  },
];

describe("DeadLetterService: bad requests get their documented code", () => {
  let app: App;
  let client: DeadClient;
  const fx = { succeeded: "" };

  beforeAll(async () => {
    app = await startApp(testConfig("dead-errors"), { logger: silentLogger });
    client = deadLetterClient(app.apiUrl!);
    const jobs = jobClient(app.apiUrl!);
    const { job } = await jobs.createJob({
      name: "ok",
      owner: "errors",
      schedule: { kind: { case: "after", value: { seconds: 0n, nanos: 0 } } },
      target: { kind: { case: "noop", value: {} } },
    });
    fx.succeeded = await waitFor("the run to succeed", async () => {
      const { executions } = await jobs.listExecutions({ jobId: job!.id });
      return executions.find((e) => e.status === ExecutionStatus.SUCCEEDED)?.id;
    });
  });
  afterAll(() => app?.close());

  for (const row of rows) {
    it(`${row.name} → ${Code[row.code]}${row.field ? ` on ${row.field}` : ""}`, async () => {
      const err = await row.call(client, fx).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      const ce = err as ConnectError;
      expect(Code[ce.code], ce.rawMessage).toBe(Code[row.code]);
      if (row.field !== undefined) {
        expect(ce.rawMessage.startsWith(`${row.field}: `), ce.rawMessage).toBe(true);
      }
    });
  }
});
