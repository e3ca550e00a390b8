/**
 * `chronoring dlq`: dead runs (DeadLetterService). `redrive` and `purge`
 * take execution ids, or `--job ID` / `--all` (asking first, unless `--yes`).
 * A selection is listed first, then acted on by ids in batches of 100 with
 * a progress bar, so that the count confirmed is the count acted on and no
 * single call runs for minutes.
 */

import { create } from "@bufbuild/protobuf";
import { Command, Option } from "commander";
import {
  ListDeadRunsResponseSchema,
  PurgeDeadRunsResponseSchema,
  RedriveDeadRunsResponseSchema,
} from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import type { Execution } from "../../gen/chronoring/v1/execution_pb.js";
import { confirm } from "./confirm.js";
import { type Context, run } from "./context.js";
import { UsageError } from "./exit-codes.js";
import { intIn } from "./flag-values.js";
import { emit, note, table } from "./output.js";
import { type PagingOptions, pages } from "./paging.js";
import { startProgress } from "./progress.js";
import { executionColumns } from "./views.js";

/**
 * A dead run's error is why it is here: on a narrow terminal it wraps, and
 * the time it took and its worker go first.
 */
function deadColumns(nowMs: number) {
  return executionColumns(nowMs).map((c) => (c.header === "ERROR" ? { ...c, optional: false } : c));
}

/** Most ids one Redrive/Purge call takes (DEAD_RUN_IDS_MAX on the server). */
const BATCH = 100;

interface ListOptions extends PagingOptions {
  job?: string;
  limit?: number;
}

async function deadRuns(ctx: Context<ListOptions>, o: ListOptions, label: string) {
  return pages(
    label,
    async (pageToken) => {
      const res = await ctx.api().dead.listDeadRuns({
        jobId: o.job ?? "",
        pageSize: o.limit ?? (o.all ? 500 : 0),
        pageToken,
      });
      return { items: res.executions, next: res.nextPageToken };
    },
    o,
  );
}

function listCommand(): Command {
  return new Command("list")
    .description("dead runs (failed for good), with the error of their last attempt")
    .option("--job <id>", "only this job's")
    .addOption(new Option("--limit <n>", "runs per page (1-500)").argParser(intIn(1, 500)))
    .option("--page-token <token>", "the page after a previous list's next page token")
    .option("--all", "every page, not only the first")
    .action(
      run<ListOptions>(async (ctx) => {
        const page = await deadRuns(ctx, ctx.o, "listing dead runs");
        const response = create(ListDeadRunsResponseSchema, {
          executions: page.items,
          nextPageToken: page.next,
        });
        emit(ctx.o, response, () => {
          if (page.next !== "")
            note(`more dead runs: --all lists every page (or --page-token ${page.next})`);
          return table(deadColumns(ctx.nowMs), page.items);
        });
      }),
    );
}

interface ActOptions {
  job?: string;
  all?: boolean;
  yes?: boolean;
}

/** The ids an action applies to: the ones given, or every dead run of --job / --all, confirmed. */
async function selection(ctx: Context<ActOptions>, verb: string): Promise<string[]> {
  const { o } = ctx;
  const ids = ctx.args[0] as string[];
  const bulk = o.all === true || o.job !== undefined;
  if (ids.length > 0 && bulk)
    throw new UsageError("give execution ids, or --job / --all, not both");
  if (ids.length === 0 && !bulk) throw new UsageError("give execution ids, --job ID or --all");
  if (!bulk) return ids;
  const listed = await deadRuns(
    ctx,
    { ...(o.job ? { job: o.job } : {}), all: true },
    "listing dead runs",
  );
  if (listed.items.length === 0) return [];
  const whose = o.job ? ` of ${o.job}` : "";
  if (!(await confirm(`${verb} ${listed.items.length} dead run(s)${whose}?`, o))) {
    throw new UsageError(`not confirmed: nothing done`);
  }
  return listed.items.map((e) => e.id);
}

/** Calls `act` on the ids, BATCH at a time, with a progress bar over them. */
async function inBatches(ids: string[], label: string, act: (batch: string[]) => Promise<void>) {
  const progress = ids.length > BATCH ? startProgress(label, ids.length) : undefined;
  try {
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = ids.slice(i, i + BATCH);
      await act(batch);
      progress?.increment(batch.length);
    }
  } finally {
    progress?.stop();
  }
}

const actFlags = (cmd: Command) =>
  cmd
    .argument("[ids...]", "execution ids: <job id>:<scheduled ms>:<attempt>")
    .option("--job <id>", "every dead run of this job")
    .option("--all", "every dead run")
    .option("--yes", "do not ask first");

function redriveCommand(): Command {
  return actFlags(
    new Command("redrive").description("run dead runs again, each as a new attempt"),
  ).action(
    run<ActOptions>(async (ctx) => {
      const ids = await selection(ctx, "Redrive");
      const redriven: Execution[] = [];
      await inBatches(ids, "redriving", async (batch) => {
        const res = await ctx.api().dead.redriveDeadRuns({ executionIds: batch });
        redriven.push(...res.executions);
      });
      const response = create(RedriveDeadRunsResponseSchema, { executions: redriven });
      emit(ctx.o, response, () =>
        redriven.length === 0 ? "no dead runs" : table(executionColumns(ctx.nowMs), redriven),
      );
    }),
  );
}

function purgeCommand(): Command {
  return actFlags(
    new Command("purge").description(
      "take dead runs off the dead list (their executions stay in the history)",
    ),
  ).action(
    run<ActOptions>(async (ctx) => {
      const ids = await selection(ctx, "Purge");
      let purged = 0;
      await inBatches(ids, "purging", async (batch) => {
        purged += (await ctx.api().dead.purgeDeadRuns({ executionIds: batch })).purged;
      });
      if (ctx.o.all && ctx.o.job === undefined && ids.length > 0) {
        // Runs that died since the list, and (tenant default) the SQS dead letter queue.
        purged += (await ctx.api().dead.purgeDeadRuns({ all: true })).purged;
      }
      const response = create(PurgeDeadRunsResponseSchema, { purged });
      emit(ctx.o, response, () => `purged ${purged} dead run(s)`);
    }),
  );
}

export function dlqCommand(): Command {
  return new Command("dlq")
    .description("dead runs: list, redrive, purge")
    .addCommand(listCommand())
    .addCommand(redriveCommand())
    .addCommand(purgeCommand());
}
