/**
 * `chronoring apply -f jobs.yaml [--dry-run] [--prune] [--namespace N]`: makes
 * the namespace's jobs what the file says, through ApplyJobs. The file (YAML
 * or JSON) holds `namespace` (or give `--namespace`) and `jobs`, each a
 * CreateJobRequest in proto JSON with its `externalKey`. The plan prints as
 * `terraform plan` prints one: `+ create`, `~ update` with `field: old → new`,
 * `- delete`, then a summary line. With `--dry-run` the exit code is 2 when
 * the plan has changes and 0 when it has none (as `terraform plan
 * -detailed-exitcode` and `kubectl diff` tell changes by the exit code).
 */

import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { Command } from "commander";
import {
  ApplyAction,
  ApplyJobsRequestSchema,
  type ApplyJobsResponse,
} from "../../gen/chronoring/v1/job_service_pb.js";
import { run } from "./context.js";
import { EXIT, InputError, succeedWith, UsageError } from "./exit-codes.js";
import { readJsonValue } from "./input-file.js";
import { emit } from "./output.js";

interface ApplyOptions {
  file: string;
  dryRun?: boolean;
  prune?: boolean;
  namespace?: string;
}

const MARK: Partial<Record<ApplyAction, string>> = {
  [ApplyAction.CREATE]: "+",
  [ApplyAction.UPDATE]: "~",
  [ApplyAction.DELETE]: "-",
};

const VERB: Partial<Record<ApplyAction, string>> = {
  [ApplyAction.CREATE]: "create",
  [ApplyAction.UPDATE]: "update",
  [ApplyAction.DELETE]: "delete",
};

/** The plan as `terraform plan` shows one; unchanged jobs are only counted. */
export function planText(res: ApplyJobsResponse, dryRun: boolean): string {
  const lines: string[] = [];
  for (const e of res.plan) {
    const mark = MARK[e.action];
    if (!mark) continue;
    const id = e.jobId ? ` (${e.jobId})` : "";
    lines.push(`${mark} ${VERB[e.action]} ${e.externalKey}${id}`);
    for (const c of e.changes) {
      lines.push(`    ${c.path}: ${c.oldValue || "(none)"} → ${c.newValue || "(none)"}`);
    }
  }
  const c = res.counts;
  const counts = `${c?.create ?? 0} to create, ${c?.update ?? 0} to update, ${c?.delete ?? 0} to delete, ${c?.unchanged ?? 0} unchanged`;
  if (lines.length === 0) lines.push("No changes.");
  lines.push(dryRun ? `Plan: ${counts} (dry run: nothing written).` : `Applied: ${counts}.`);
  return lines.join("\n");
}

/** The request of the file, with the flags' namespace, prune and dry run. */
async function requestOf(o: ApplyOptions) {
  const value = await readJsonValue(o.file);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`${o.file}: must hold an object with "namespace" and "jobs"`);
  }
  const { namespace, jobs, ...rest } = value as Record<string, JsonValue>;
  const unknown = Object.keys(rest);
  if (unknown.length) {
    throw new InputError(`${o.file}: unknown key "${unknown[0]}" (expected namespace and jobs)`);
  }
  let request: ReturnType<typeof fromJson<typeof ApplyJobsRequestSchema>>;
  try {
    request = fromJson(ApplyJobsRequestSchema, { jobs: jobs ?? [] });
  } catch (err) {
    throw new InputError(`${o.file}: ${(err as Error).message}`);
  }
  const ns = o.namespace ?? (typeof namespace === "string" ? namespace : undefined);
  if (!ns) throw new UsageError(`no namespace: set "namespace" in ${o.file} or give --namespace`);
  request.namespace = ns;
  request.prune = o.prune ?? false;
  request.dryRun = o.dryRun ?? false;
  return request;
}

export function applyCommand(): Command {
  return new Command("apply")
    .description("make a namespace's jobs what a YAML or JSON file says (create, update, prune)")
    .requiredOption("-f, --file <path>", "the file: namespace and jobs, each with an externalKey")
    .option("--dry-run", "print the plan only; exit 2 when it has changes, 0 when none")
    .option("--prune", "cancel the namespace's jobs the file no longer lists")
    .option("--namespace <name>", "the namespace (overrides the file's)")
    .action(
      run<ApplyOptions>(async (ctx) => {
        const { o } = ctx;
        const request = await requestOf(o);
        const res = await ctx.api().jobs.applyJobs(request);
        emit(o, res, () => planText(res, request.dryRun));
        const changes = res.plan.some((e) => e.action !== ApplyAction.UNCHANGED);
        if (request.dryRun && changes) succeedWith(EXIT.changesPlanned);
      }),
    );
}
