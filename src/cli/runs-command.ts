/**
 * `chronoring runs`: executions of a job or a worker (`list`), one execution
 * (`get`), and `watch`, which follows a job's runs as they happen.
 */

import { create } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import { ExecutionStatusSchema } from "../../gen/chronoring/v1/execution_pb.js";
import { ListExecutionsResponseSchema } from "../../gen/chronoring/v1/job_service_pb.js";
import { run } from "./context.js";
import { UsageError } from "./exit-codes.js";
import { enumChoices, enumValue, intIn, parseDurationMs, parseTimeMs } from "./flag-values.js";
import { emit, fields, note, table } from "./output.js";
import { type PagingOptions, pages } from "./paging.js";
import { watchRuns } from "./runs-watch.js";
import { executionColumns, executionFields } from "./views.js";

interface ListOptions extends PagingOptions {
  job?: string;
  worker?: string;
  status?: number;
  limit?: number;
}

const statusOption = () =>
  new Option("--status <status>", enumChoices(ExecutionStatusSchema).join("|")).argParser(
    enumValue(ExecutionStatusSchema),
  );

function listCommand(): Command {
  return new Command("list")
    .description("executions of a job (--job) or a worker (--worker), newest first")
    .option("--job <id>", "a job's executions")
    .option("--worker <id>", "a worker's executions")
    .addOption(statusOption())
    .addOption(new Option("--limit <n>", "executions per page (1-500)").argParser(intIn(1, 500)))
    .option("--page-token <token>", "the page after a previous list's next page token")
    .option("--all", "every page, not only the first")
    .action(
      run<ListOptions>(async (ctx) => {
        const { o } = ctx;
        if ((o.job === undefined) === (o.worker === undefined)) {
          throw new UsageError("give --job ID or --worker ID");
        }
        const page = await pages(
          "listing runs",
          async (pageToken) => {
            const res = await ctx.api().jobs.listExecutions({
              jobId: o.job ?? "",
              workerId: o.worker ?? "",
              status: o.status ?? 0,
              pageSize: o.limit ?? 0,
              pageToken,
            });
            return { items: res.executions, next: res.nextPageToken };
          },
          o,
        );
        const response = create(ListExecutionsResponseSchema, {
          executions: page.items,
          nextPageToken: page.next,
        });
        emit(o, response, () => {
          if (page.next !== "")
            note(`more runs: --all lists every page (or --page-token ${page.next})`);
          return table(executionColumns(ctx.nowMs), page.items);
        });
      }),
    );
}

function getCommand(): Command {
  return new Command("get")
    .description("show one execution")
    .argument("<id>", "execution id: <job id>:<scheduled ms>:<attempt>")
    .action(
      run(async (ctx) => {
        const res = await ctx.api().jobs.getExecution({ id: ctx.args[0] as string });
        emit(ctx.o, res, () => fields(executionFields(res.execution!, ctx.nowMs)));
      }),
    );
}

interface WatchOptions {
  job: string;
  since?: number;
  interval: number;
}

function watchCommand(): Command {
  return new Command("watch")
    .description("print a job's new runs and status changes as they happen, until Ctrl-C")
    .requiredOption("--job <id>", "the job to watch")
    .addOption(
      new Option("--since <time>", "also show runs scheduled since then (default: now)").argParser(
        (v) => parseTimeMs(v),
      ),
    )
    .addOption(
      new Option("--interval <duration>", "how often to look")
        .default(1000, "1s")
        .argParser(parseDurationMs),
    )
    .action(
      run<WatchOptions>(async (ctx) => {
        await watchRuns(ctx.api().jobs, {
          jobId: ctx.o.job,
          sinceMs: ctx.o.since ?? ctx.nowMs,
          intervalMs: Math.max(200, ctx.o.interval),
          output: ctx.o,
        });
      }),
    );
}

export function runsCommand(): Command {
  return new Command("runs")
    .description("executions: list, get, watch")
    .addCommand(listCommand())
    .addCommand(getCommand())
    .addCommand(watchCommand());
}
