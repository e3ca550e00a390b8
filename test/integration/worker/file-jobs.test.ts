/**
 * File jobs end to end in one process (api + scheduler + worker) on DynamoDB
 * Local and the SQS emulator, with a real root directory: created over gRPC,
 * REST and the CLI; run by the worker; what each bad input gets at create;
 * a link out of the root planted after create fails the run, permanently.
 */

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Execution, ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { FileOperation } from "../../../gen/chronoring/v1/job_pb.js";
import { RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { cliJson } from "../../support/cli.js";
import { jobClient } from "../../support/client.js";
import { waitFor } from "../../support/wait.js";

const NOW = { kind: { case: "after" as const, value: { seconds: 0n, nanos: 0 } } };

/** A COPY of in/*.csv into `out`, with `change` applied. */
function copyTarget(change: Record<string, unknown> = {}) {
  return {
    kind: {
      case: "file" as const,
      value: {
        operation: FileOperation.COPY,
        root: "exports",
        sources: ["in/*.csv"],
        destination: "out",
        ...change,
      },
    },
  };
}

describe("file jobs", () => {
  let app: App;
  let jobs: ReturnType<typeof jobClient>;
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "file-jobs-"));
    root = join(base, "exports");
    await mkdir(join(root, "in"), { recursive: true });
    await mkdir(join(base, "outside"));
    for (const name of ["a.csv", "b.csv", "c.txt"]) await writeFile(join(root, "in", name), name);
    const config = testConfig("file-jobs", { ETCD_ENDPOINTS: "", FILE_ROOTS: `exports=${root}` });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    jobs = jobClient(app.apiUrl!);
  });
  afterAll(async () => {
    await app?.close();
    await rm(base, { recursive: true, force: true });
  });

  function finished(jobId: string, count = 1): Promise<Execution[]> {
    return waitFor(`${count} finished run(s) of ${jobId}`, async () => {
      const { executions } = await jobs.listExecutions({ jobId });
      const ends = [ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.DEAD];
      const done = executions.filter((e) => ends.includes(e.status));
      return done.length >= count ? [...done].sort((a, b) => a.attempt - b.attempt) : undefined;
    });
  }

  it("a COPY created over gRPC runs on the worker and lists what it copied", async () => {
    const { job } = await jobs.createJob({
      name: "copy csv",
      owner: "files",
      schedule: NOW,
      target: copyTarget(),
    });
    expect(job!.target?.kind).toMatchObject({
      case: "file",
      value: { operation: FileOperation.COPY, sources: ["in/*.csv"], destination: "out" },
    });
    const [run] = await finished(job!.id);
    expect(run!.status).toBe(ExecutionStatus.SUCCEEDED);
    expect(run!.result).toBe("copied 2 file(s) (10 B) to out\nin/a.csv\nin/b.csv");
    expect((await readdir(join(root, "out"))).sort()).toEqual(["a.csv", "b.csv"]);
  });

  it("a CHECKSUM over REST (proto JSON) and an ARCHIVE from the CLI", async () => {
    const res = await fetch(`${app.apiUrl}/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "sums",
        owner: "files",
        schedule: { after: "0s" },
        target: {
          file: { operation: "FILE_OPERATION_CHECKSUM", root: "exports", sources: ["in/*"] },
        },
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { job: { id: string } };
    const [sums] = await finished(body.job.id);
    expect(sums!.result).toMatch(/^sha256 of 3 file\(s\) \(15 B\)\n[0-9a-f]{64} {2}in\/a\.csv/);

    const created = await cliJson<{ job: { id: string } }>(
      [
        ...["jobs", "create", "--name", "archive", "--owner", "files", "--after", "0s"],
        ...["--file-op", "archive", "--file-root", "exports", "--file-source", "in/*"],
        ...["--file-dest", "backups/in.tgz"],
      ],
      { url: app.apiUrl! },
    );
    const [archived] = await finished(created.job.id);
    expect(archived!.result).toMatch(/^archived 3 file\(s\) \(15 B\) into backups\/in\.tgz/);
    expect(existsSync(join(root, "backups", "in.tgz"))).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["an absolute source", { sources: ["/etc/*"] }, "target.file.sources[0]"],
    ["a source leaving the root", { sources: ["in/../../x"] }, "target.file.sources[0]"],
    ["a destination leaving the root", { destination: "../x" }, "target.file.destination"],
    ["no operation", { operation: FileOperation.UNSPECIFIED }, "target.file.operation"],
    ["a bad root name", { root: "Exports!" }, "target.file.root"],
  ])("%s: InvalidArgument naming %s", async (_, change, field) => {
    const err = await jobs
      .createJob({
        name: "bad",
        owner: "files",
        schedule: NOW,
        target: copyTarget(change),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage.startsWith(`${field}: `)).toBe(true);
  });

  it("a link out of the root planted after create fails the run, and ON_FAILURE does not retry it", async () => {
    await mkdir(join(root, "drop"));
    await symlink(join(base, "outside"), join(root, "drop", "escape"));
    const { job } = await jobs.createJob({
      name: "copy into link",
      owner: "files",
      schedule: NOW,
      retryPolicy: { strategy: RetryStrategy.ON_FAILURE, maxRetries: 3 },
      target: copyTarget({ destination: "drop/escape" }),
    });
    const [run] = await finished(job!.id);
    // A permanent failure under a retry policy is dead at once (DeadLetterService lists it).
    expect(run!.status).toBe(ExecutionStatus.DEAD);
    expect(run!.error).toBe(
      "permanent failure: refused: drop/escape is a symbolic link leading out of the root",
    );
    expect(await readdir(join(base, "outside"))).toEqual([]);
    await new Promise((r) => setTimeout(r, 1500));
    const { executions } = await jobs.listExecutions({ jobId: job!.id });
    expect(executions.map((e) => e.attempt)).toEqual([1]);
  });
});
