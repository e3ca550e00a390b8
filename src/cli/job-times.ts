/**
 * `chronoring jobs preview` and `jobs fires`: a job's times ahead (the
 * schedule explained) and behind (the fire ledger: what became of each).
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Command, Option } from "commander";
import { type Fire, FireOutcomeSchema } from "../../gen/chronoring/v1/fire_pb.js";
import {
  type FireTime,
  type ListFiresRequestSchema,
  ListFiresResponseSchema,
  type PreviewScheduleRequestSchema,
} from "../../gen/chronoring/v1/job_service_pb.js";
import { run } from "./context.js";
import { UsageError } from "./exit-codes.js";
import { enumLabel, intIn, parseTimeMs } from "./flag-values.js";
import type { JobFlags } from "./job-flags.js";
import { addScheduleFlags, applySchedule } from "./job-flags-schedule.js";
import { emit, note, table } from "./output.js";
import { type PagingOptions, pages } from "./paging.js";
import { utcText, whenText } from "./time-text.js";

interface PreviewOptions extends JobFlags {
  count?: number;
  from?: number;
}

export function previewCommand(): Command {
  return addScheduleFlags(
    new Command("preview")
      .description("the next fire times of a job, or of a schedule given by flags")
      .argument("[id]", "a job: its schedule (and jitter); flags change it for the preview"),
  )
    .addOption(new Option("--count <n>", "how many times (1-100)").argParser(intIn(1, 100)))
    .addOption(
      new Option("--from <time>", "start after this instant (default now)").argParser((v) =>
        parseTimeMs(v),
      ),
    )
    .action(
      run<PreviewOptions>(async (ctx) => {
        const { o } = ctx;
        const id = ctx.args[0] as string | undefined;
        const base = id ? (await ctx.api().jobs.getJob({ id })).job?.schedule : undefined;
        const schedule = applySchedule(base, o) ?? base;
        if (schedule === undefined) {
          throw new UsageError("give a job id or a schedule (--cron, --interval, --at or --after)");
        }
        const req: MessageInitShape<typeof PreviewScheduleRequestSchema> = {
          schedule,
          count: o.count ?? 0,
        };
        if (id) req.jobId = id;
        if (o.from !== undefined) req.after = timestampFromMs(o.from);
        const res = await ctx.api().jobs.previewSchedule(req);
        emit(o, res, () => {
          const times = table(
            [
              {
                header: "TIME (UTC)",
                value: (t: FireTime) => whenText(t.time, ctx.nowMs),
                flex: true,
              },
              { header: "LOCAL", value: (t: FireTime) => t.localTime, optional: true },
              ...(res.fireTimes.some((t) => t.windowEnd)
                ? [
                    {
                      header: "WINDOW END (UTC)",
                      value: (t: FireTime) =>
                        t.windowEnd ? utcText(timestampMs(t.windowEnd)) : "-",
                      optional: true,
                    },
                  ]
                : []),
              { header: "NOTES", value: (t: FireTime) => t.notes.join("; ") || "-", flex: true },
            ],
            res.fireTimes,
          );
          const removed = res.removed.map(
            (r) => `removed ${r.time ? utcText(timestampMs(r.time)) : "-"}: ${r.reason}`,
          );
          return [times, ...removed].join("\n");
        });
      }),
    );
}

interface FiresOptions extends PagingOptions {
  from?: number;
  to?: number;
  limit?: number;
}

/** What to say of one fire besides its outcome: its run, or why it did not run. */
function fireDetail(f: Fire): string {
  const parts: string[] = [];
  if (f.pause) {
    const who = f.pause.pausedBy ? `paused by ${f.pause.pausedBy}` : "paused";
    parts.push(f.pause.note ? `${who}: ${f.pause.note}` : who);
  }
  if (f.wait) parts.push(`waited ${Number(f.wait.waited?.seconds ?? 0n)}s`);
  for (const n of f.notes) if (!parts.includes(n)) parts.push(n);
  return parts.join("; ") || "-";
}

export function firesCommand(): Command {
  return new Command("fires")
    .description("the fire ledger: every nominal time of a job in a range and what became of it")
    .argument("<id>", "job id")
    .addOption(
      new Option("--from <time>", "start of the range (default: --to minus 24h)").argParser((v) =>
        parseTimeMs(v),
      ),
    )
    .addOption(
      new Option("--to <time>", "end of the range (default now; at most 31 days)").argParser((v) =>
        parseTimeMs(v),
      ),
    )
    .addOption(new Option("--limit <n>", "times per page (1-1000)").argParser(intIn(1, 1000)))
    .option("--page-token <token>", "the page after a previous list's next page token")
    .option("--all", "every page, not only the first")
    .action(
      run<FiresOptions>(async (ctx) => {
        const { o } = ctx;
        const jobId = ctx.args[0] as string;
        const req: MessageInitShape<typeof ListFiresRequestSchema> = {
          jobId,
          pageSize: o.limit ?? 0,
        };
        if (o.from !== undefined) req.from = timestampFromMs(o.from);
        if (o.to !== undefined) req.to = timestampFromMs(o.to);
        let zone = "";
        const page = await pages(
          "reading the ledger",
          async (pageToken) => {
            const res = await ctx.api().jobs.listFires({ ...req, pageToken });
            zone = res.timeZone;
            return { items: res.fires, next: res.nextPageToken };
          },
          o,
        );
        const counts = new Map<number, bigint>();
        for (const f of page.items) counts.set(f.outcome, (counts.get(f.outcome) ?? 0n) + 1n);
        const response = create(ListFiresResponseSchema, {
          fires: page.items,
          nextPageToken: page.next,
          // As the API gives them: by outcome, in the enum's order.
          counts: [...counts]
            .sort(([a], [b]) => a - b)
            .map(([outcome, count]) => ({ outcome, count })),
          timeZone: zone,
        });
        emit(o, response, () => {
          if (page.next !== "") {
            note(`more times: --all lists every page (or --page-token ${page.next})`);
          }
          const summary = response.counts
            .map((c) => `${enumLabel(FireOutcomeSchema, c.outcome)} ${c.count}`)
            .join(", ");
          const rows = table(
            [
              {
                header: "NOMINAL (UTC)",
                value: (f: Fire) => (f.nominalTime ? utcText(timestampMs(f.nominalTime)) : "-"),
              },
              { header: `LOCAL (${zone})`, value: (f: Fire) => f.localTime, optional: true },
              { header: "OUTCOME", value: (f: Fire) => enumLabel(FireOutcomeSchema, f.outcome) },
              { header: "EXECUTION", value: (f: Fire) => f.executionId || "-", optional: true },
              { header: "DETAIL", value: fireDetail, flex: true },
            ],
            page.items,
          );
          return summary ? `${rows}\n${summary}` : rows;
        });
      }),
    );
}
