/**
 * `jobs create` and `jobs update`: a job from flags, from `-f FILE` (a Job
 * or CreateJobRequest in proto JSON or YAML; `jobs get --json` output works
 * too), or both (flags win). An update reads the job first, applies the
 * file's fields and the flags onto it, and sends exactly those fields as the
 * `update_mask`, at the version it read (Aborted, exit 6, if the job changed
 * in between).
 */

import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import { type Job, JobSchema } from "../../gen/chronoring/v1/job_pb.js";
import type { CreateJobRequestSchema } from "../../gen/chronoring/v1/job_service_pb.js";
import { UPDATABLE_PATHS } from "../api/job-update-paths.js";
import { run } from "./context.js";
import { UsageError } from "./exit-codes.js";
import { intIn } from "./flag-values.js";
import { readMessageFile } from "./input-file.js";
import { addJobFlags, applyJobFlags, type JobFlags } from "./job-flags.js";
import { emit, fields } from "./output.js";
import { jobFields } from "./views.js";

const UPDATABLE = new Set<string>(UPDATABLE_PATHS);

interface WriteOptions extends JobFlags {
  file?: string;
  idempotencyKey?: string;
  ifVersion?: number;
}

const fileOption = () =>
  new Option("-f, --file <file>", "the job in proto JSON or YAML (a Job, or `-` for stdin)");

/** The CreateJobRequest fields of a Job message. */
function createRequest(
  job: Job,
  idempotencyKey: string | undefined,
): MessageInitShape<typeof CreateJobRequestSchema> {
  return {
    name: job.name,
    schedule: job.schedule,
    target: job.target,
    tags: job.tags,
    owner: job.owner,
    limits: job.limits,
    retryPolicy: job.retryPolicy,
    priority: job.priority,
    notifications: job.notifications,
    pauseAfterFailures: job.pauseAfterFailures,
    remainingRuns: job.remainingRuns,
    idempotencyKey: idempotencyKey ?? job.idempotencyKey,
  };
}

export function createCommand(): Command {
  return addJobFlags(
    new Command("create")
      .description("create a job from flags, a file (-f), or both (flags win)")
      .addOption(fileOption())
      .option("--idempotency-key <key>", "the same key and request create one job only"),
  ).action(
    run<WriteOptions>(async (ctx) => {
      const { o } = ctx;
      const job = o.file
        ? (await readMessageFile(JobSchema, o.file, "job")).message
        : create(JobSchema);
      applyJobFlags(job, o);
      const res = await ctx.api().jobs.createJob(createRequest(job, o.idempotencyKey));
      emit(o, res, () => fields(jobFields(res.job!, ctx.nowMs)));
    }),
  );
}

/**
 * A webhook's secret is never returned: an update that sends the target back
 * without it would remove it, so it must be given again.
 */
function checkSecretKept(job: Job, paths: string[]): void {
  const t = job.target?.kind;
  if (paths.includes("target") && t?.case === "webhook" && t.value.hasSecret && !t.value.secret) {
    throw new UsageError(
      "the job's webhook secret is never returned, and changing the target would drop it: give --secret again",
    );
  }
}

export function updateCommand(): Command {
  return addJobFlags(
    new Command("update")
      .description("change the fields given by flags or in a file (-f); the rest stay")
      .argument("<id>", "job id")
      .addOption(fileOption())
      .addOption(
        new Option(
          "--if-version <n>",
          "only if the job is at this version (else exit 6)",
        ).argParser(intIn(1, Number.MAX_SAFE_INTEGER)),
      ),
  ).action(
    run<WriteOptions>(async (ctx) => {
      const { o } = ctx;
      const id = ctx.args[0] as string;
      const current = (await ctx.api().jobs.getJob({ id })).job!;
      const paths = new Set<string>();
      if (o.file) {
        const { message, fields: given } = await readMessageFile(JobSchema, o.file, "job");
        for (const path of given.filter((p) => UPDATABLE.has(p))) {
          const field = JobSchema.fields.find((f) => f.name === path)!;
          (current as unknown as Record<string, unknown>)[field.localName] = (
            message as unknown as Record<string, unknown>
          )[field.localName];
          paths.add(path);
        }
      }
      for (const path of applyJobFlags(current, o)) paths.add(path);
      if (paths.size === 0) {
        throw new UsageError("nothing to change: give flags (--name, --cron, ...) or -f FILE");
      }
      checkSecretKept(current, [...paths]);
      const res = await ctx.api().jobs.updateJob({
        job: current,
        updateMask: { paths: [...paths] },
        expectedVersion: BigInt(o.ifVersion ?? current.version),
      });
      emit(o, res, () => fields(jobFields(res.job!, ctx.nowMs)));
    }),
  );
}
