/**
 * `chronoring jobs`: list, get, create, update, delete, pause, resume,
 * trigger, preview, fires (JobService) and backfill (BackfillService).
 * Create and update are in job-write.ts, preview and fires (a job's times)
 * in job-times.ts, backfill in backfill-command.ts.
 */

import { create } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import { type Job, JobStatus, JobStatusSchema } from "../../gen/chronoring/v1/job_pb.js";
import {
  DeleteJobResponseSchema,
  ListJobsResponseSchema,
} from "../../gen/chronoring/v1/job_service_pb.js";
import { backfillJobCommand } from "./backfill-command.js";
import { confirm } from "./confirm.js";
import { type Context, run } from "./context.js";
import { UsageError } from "./exit-codes.js";
import { enumChoices, enumValue, intIn } from "./flag-values.js";
import { importCommand } from "./import-command.js";
import { firesCommand, previewCommand } from "./job-times.js";
import { createCommand, updateCommand } from "./job-write.js";
import { emit, fields, note, table } from "./output.js";
import { type PagingOptions, pages } from "./paging.js";
import { startProgress } from "./progress.js";
import { executionColumns, jobColumns, jobFields } from "./views.js";

interface ListOptions extends PagingOptions {
  status?: number;
  tag?: string;
  owner?: string;
  limit?: number;
}

/** `--status --tag --owner --limit --page-token --all`: the filters of ListJobs. */
function addListFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--status <status>", enumChoices(JobStatusSchema).join("|")).argParser(
        enumValue(JobStatusSchema),
      ),
    )
    .option("--tag <tag>", "only jobs with this tag")
    .option("--owner <owner>", "only jobs of this owner");
}

/** One page of ListJobs with the filters of `o`. */
function listJobsPage(ctx: Context<ListOptions>, pageSize: number) {
  const { o } = ctx;
  return async (pageToken: string) => {
    const res = await ctx.api().jobs.listJobs({
      status: o.status ?? 0,
      tag: o.tag ?? "",
      owner: o.owner ?? "",
      pageSize,
      pageToken,
    });
    return { items: res.jobs, next: res.nextPageToken };
  };
}

/** Every job the filters select (every page), for bulk actions. */
async function selectJobs(ctx: Context<ListOptions>, label: string): Promise<Job[]> {
  const page = await pages(label, listJobsPage(ctx, ctx.o.limit ?? 500), { all: true });
  return page.items;
}

function listCommand(): Command {
  return addListFlags(new Command("list").description("list jobs, newest first"))
    .addOption(new Option("--limit <n>", "jobs per page (1-500)").argParser(intIn(1, 500)))
    .option("--page-token <token>", "the page after a previous list's next page token")
    .option("--all", "every page, not only the first")
    .action(
      run<ListOptions>(async (ctx) => {
        const { o } = ctx;
        const page = await pages("listing jobs", listJobsPage(ctx, o.limit ?? 0), o);
        const response = create(ListJobsResponseSchema, {
          jobs: page.items,
          nextPageToken: page.next,
        });
        emit(o, response, () => {
          if (page.next !== "")
            note(`more jobs: --all lists every page (or --page-token ${page.next})`);
          return table(jobColumns(ctx.nowMs), page.items);
        });
      }),
    );
}

/** `jobs get|pause|resume ID`: one call with the id, the job shown. */
function byIdCommand(name: "get" | "pause" | "resume", description: string): Command {
  const cmd = new Command(name).description(description).argument("<id>", "job id");
  if (name !== "get") {
    cmd.option("--note <text>", `why (at most 500 characters), kept in the job's pause history`);
  }
  return cmd.action(
    run<{ note?: string }>(async (ctx) => {
      const id = ctx.args[0] as string;
      const jobs = ctx.api().jobs;
      const note = ctx.o.note ?? "";
      const res =
        name === "get"
          ? await jobs.getJob({ id })
          : await (name === "pause" ? jobs.pauseJob : jobs.resumeJob)({ id, note });
      emit(ctx.o, res, () => fields(jobFields(res.job!, ctx.nowMs)));
    }),
  );
}

function triggerCommand(): Command {
  return new Command("trigger")
    .description("run a job once now, besides its schedule")
    .argument("<id>", "job id")
    .action(
      run(async (ctx) => {
        const res = await ctx.api().jobs.triggerJob({ id: ctx.args[0] as string });
        emit(ctx.o, res, () => table(executionColumns(ctx.nowMs), [res.execution!]));
      }),
    );
}

interface DeleteOptions extends ListOptions {
  yes?: boolean;
}

function deleteCommand(): Command {
  return addListFlags(
    new Command("delete")
      .description("cancel jobs: by id, or every job a --tag/--owner/--status selects")
      .argument("[ids...]", "job ids"),
  )
    .option("--yes", "do not ask before deleting the jobs a filter selects")
    .action(
      run<DeleteOptions>(async (ctx) => {
        const { o } = ctx;
        let ids = ctx.args[0] as string[];
        const filtered = o.tag !== undefined || o.owner !== undefined || o.status !== undefined;
        if (ids.length > 0 && filtered) throw new UsageError("give job ids or filters, not both");
        if (ids.length === 0 && !filtered) {
          throw new UsageError("give job ids, or --tag/--owner/--status to select jobs");
        }
        if (filtered) {
          const selected = await selectJobs(ctx, "selecting jobs");
          // Cancelled jobs stay listed (CANCELLED): nothing to do for them.
          ids = selected.filter((j) => j.status !== JobStatus.CANCELLED).map((j) => j.id);
          if (ids.length === 0) {
            note("no jobs match");
            emit(o, create(DeleteJobResponseSchema), () => "");
            return;
          }
          if (!(await confirm(`Delete ${ids.length} job(s)?`, o)))
            throw new UsageError("not confirmed: nothing deleted");
        }
        const deleted: Job[] = [];
        const progress = ids.length > 1 ? startProgress("deleting jobs", ids.length) : undefined;
        try {
          for (const id of ids) {
            const res = await ctx.api().jobs.deleteJob({ id });
            deleted.push(res.job!);
            progress?.increment();
          }
        } finally {
          progress?.stop();
        }
        const result =
          deleted.length === 1
            ? create(DeleteJobResponseSchema, { job: deleted[0] })
            : create(ListJobsResponseSchema, { jobs: deleted });
        emit(o, result, () => table(jobColumns(ctx.nowMs), deleted));
      }),
    );
}

export function jobsCommand(): Command {
  return new Command("jobs")
    .description(
      "jobs: list, get, create, import, update, delete, pause, resume, trigger, preview, fires, backfill",
    )
    .addCommand(listCommand())
    .addCommand(byIdCommand("get", "show one job"))
    .addCommand(createCommand())
    .addCommand(importCommand())
    .addCommand(updateCommand())
    .addCommand(deleteCommand())
    .addCommand(byIdCommand("pause", "stop a job's scheduled runs until resumed"))
    .addCommand(byIdCommand("resume", "schedule a paused job's runs again"))
    .addCommand(triggerCommand())
    .addCommand(previewCommand())
    .addCommand(firesCommand())
    .addCommand(backfillJobCommand());
}
