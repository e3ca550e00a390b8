/**
 * `chronoring jobs backfill JOB --from --to --mode ...` (BackfillJob, with
 * `--dry-run` listing what it would run and `--watch` following it with a
 * progress bar) and `chronoring backfills get|cancel|list` (docs/backfill.md).
 */

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Command, Option } from "commander";
import {
  type Backfill,
  BackfillModeSchema,
  BackfillOrderSchema,
  BackfillState,
  BackfillStateSchema,
  GetBackfillResponseSchema,
  ListBackfillsResponseSchema,
} from "../../gen/chronoring/v1/backfill_service_pb.js";
import { systemClock } from "../core/clock.js";
import {
  backfillColumns,
  backfillFields,
  backfillRunColumns,
  progressText,
} from "./backfill-views.js";
import { type Context, run } from "./context.js";
import { enumChoices, enumLabel, enumValue, intIn, parseTimeMs } from "./flag-values.js";
import { emit, fields, note, table } from "./output.js";
import { type PagingOptions, pages } from "./paging.js";
import { startProgress } from "./progress.js";

/** How often `--watch` asks for the backfill. */
const WATCH_MS = 1000;
/** Without a terminal, `--watch` prints a progress line at most this often. */
const PLAIN_EVERY_MS = 10_000;

interface BackfillOptions {
  from: number;
  to: number;
  mode: number;
  maxConcurrent?: number;
  order?: number;
  dryRun?: boolean;
  watch?: boolean;
}

/** Follows a backfill until it ends (or Ctrl-C: it goes on without us). */
async function watch(ctx: Context<unknown>, start: Backfill): Promise<Backfill> {
  const api = ctx.api().backfills;
  let b = start;
  const bar = startProgress("backfilling", b.counts?.selected ?? 0);
  const tty = process.stderr.isTTY === true;
  let shown = 0;
  let printed = 0;
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    for (;;) {
      const c = b.counts;
      const done = (c?.succeeded ?? 0) + (c?.failed ?? 0) + (c?.skipped ?? 0);
      bar.increment(done - shown);
      shown = done;
      if (!tty && Date.now() - printed >= PLAIN_EVERY_MS) {
        note(`${b.id}: ${progressText(b)}`);
        printed = Date.now();
      }
      if (b.state !== BackfillState.RUNNING && (c?.inFlight ?? 0) === 0) return b;
      try {
        await systemClock.sleep(WATCH_MS, stopping.signal);
      } catch {
        note(`stopped watching; ${b.id} goes on (chronoring backfills cancel ${b.id} stops it)`);
        return b;
      }
      b = (await api.getBackfill({ id: b.id })).backfill!;
    }
  } finally {
    bar.stop();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/** `jobs backfill JOB`. */
export function backfillJobCommand(): Command {
  return new Command("backfill")
    .description("run a job once for each selected nominal time of a past range (docs/backfill.md)")
    .argument("<id>", "job id")
    .addOption(
      new Option("--from <time>", "start of the range (included)")
        .argParser((v) => parseTimeMs(v))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--to <time>", "end of the range (excluded), at most now")
        .argParser((v) => parseTimeMs(v))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--mode <mode>", enumChoices(BackfillModeSchema).join("|"))
        .argParser(enumValue(BackfillModeSchema))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--max-concurrent <n>", "runs out at once (1-100, default 10)").argParser(
        intIn(1, 100),
      ),
    )
    .addOption(
      new Option("--order <order>", enumChoices(BackfillOrderSchema).join("|")).argParser(
        enumValue(BackfillOrderSchema),
      ),
    )
    .option("--dry-run", "list the runs it would send; send nothing")
    .option("--watch", "follow it to its end with a progress bar")
    .action(
      run<BackfillOptions>(async (ctx) => {
        const { o } = ctx;
        const res = await ctx.api().backfills.backfillJob({
          jobId: ctx.args[0] as string,
          from: timestampFromMs(o.from),
          to: timestampFromMs(o.to),
          mode: o.mode,
          maxConcurrent: o.maxConcurrent ?? 0,
          order: o.order ?? 0,
          dryRun: o.dryRun ?? false,
        });
        if (!res.backfill) {
          emit(o, res, () => {
            const more =
              res.selected > res.runs.length ? ` (the first ${res.runs.length} listed)` : "";
            note(
              `${res.selected} of ${res.nominalTimes} nominal times would run${more}; nothing sent`,
            );
            return table(backfillRunColumns, res.runs);
          });
          return;
        }
        const b = o.watch ? await watch(ctx, res.backfill) : res.backfill;
        emit(o, create(GetBackfillResponseSchema, { backfill: b }), () =>
          fields(backfillFields(b, Date.now())),
        );
        if (o.watch && (b.state === BackfillState.CANCELLED || b.state === BackfillState.FAILED)) {
          const state = enumLabel(BackfillStateSchema, b.state);
          throw new ConnectError(`backfill ${b.id} ended ${state}`, Code.FailedPrecondition);
        }
      }),
    );
}

interface ListOptions extends PagingOptions {
  limit?: number;
}

/** `backfills get|cancel|list`. */
export function backfillsCommand(): Command {
  const byId = (name: "get" | "cancel", description: string) =>
    new Command(name)
      .description(description)
      .argument("<id>", "backfill id")
      .action(
        run(async (ctx) => {
          const id = ctx.args[0] as string;
          const api = ctx.api().backfills;
          const res =
            name === "get" ? await api.getBackfill({ id }) : await api.cancelBackfill({ id });
          emit(ctx.o, res, () => fields(backfillFields(res.backfill!, ctx.nowMs)));
        }),
      );
  const list = new Command("list")
    .description("a job's backfills, newest first")
    .argument("<job>", "job id")
    .addOption(new Option("--limit <n>", "backfills per page (1-500)").argParser(intIn(1, 500)))
    .option("--page-token <token>", "the page after a previous list's next page token")
    .option("--all", "every page, not only the first")
    .action(
      run<ListOptions>(async (ctx) => {
        const { o } = ctx;
        const page = await pages(
          "listing backfills",
          async (pageToken) => {
            const res = await ctx.api().backfills.listBackfills({
              jobId: ctx.args[0] as string,
              pageSize: o.limit ?? 0,
              pageToken,
            });
            return { items: res.backfills, next: res.nextPageToken };
          },
          o,
        );
        const response = create(ListBackfillsResponseSchema, {
          backfills: page.items,
          nextPageToken: page.next,
        });
        emit(o, response, () => table(backfillColumns(ctx.nowMs), page.items));
      }),
    );
  return new Command("backfills")
    .description("backfills: get, cancel, list (start one with jobs backfill)")
    .addCommand(byId("get", "show one backfill and its progress"))
    .addCommand(byId("cancel", "stop a backfill sending runs (those sent go on)"))
    .addCommand(list);
}
