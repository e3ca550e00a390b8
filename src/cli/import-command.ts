/**
 * `jobs import FILE.jsonl`: one CreateJobRequest per line in proto JSON (what
 * `jobs create -f` takes; a `jobs get --json` line `{"job": {...}}` too),
 * streamed to the server through ImportJobs. A line that is not a job is
 * refused here, naming its line, and not sent. Progress is a bar on a
 * terminal, a line per 10,000 items otherwise; then the summary: created,
 * existing, refused with each reason. Any refused item makes the exit code
 * that of the first refusal (docs/cli.md).
 */

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { create, fromJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { Command } from "commander";
import { JobSchema } from "../../gen/chronoring/v1/job_pb.js";
import {
  type CreateJobRequest,
  CreateJobRequestSchema,
} from "../../gen/chronoring/v1/job_service_pb.js";
import { run } from "./context.js";
import { InputError } from "./exit-codes.js";
import { emit, note } from "./output.js";
import { startProgress } from "./progress.js";

/** Items per stream message: small enough for the server's body limit, big enough to be cheap. */
const PER_MESSAGE = 200;
/** Without a terminal, a progress line per this many items. */
const PLAIN_EVERY = 10_000;
/** Refusals printed in the summary (all are in `--json`). */
const SHOWN_REFUSALS = 50;

interface Refusal {
  line: number;
  code: string;
  field: string;
  message: string;
}

/** The request of one line, or why it is none. */
function parseLine(text: string): MessageInitShape<typeof CreateJobRequestSchema> {
  const value = JSON.parse(text) as JsonValue;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("must be a JSON object (a CreateJobRequest in proto JSON)");
  }
  if ("job" in value && Object.keys(value).length === 1) {
    const job = fromJson(JobSchema, value.job as JsonValue);
    const { id: _id, $typeName: _t, ...rest } = job;
    return {
      name: rest.name,
      schedule: rest.schedule,
      target: rest.target,
      tags: rest.tags,
      owner: rest.owner,
      limits: rest.limits,
      retryPolicy: rest.retryPolicy,
      priority: rest.priority,
      notifications: rest.notifications,
      idempotencyKey: rest.idempotencyKey,
    };
  }
  return fromJson(CreateJobRequestSchema, value);
}

async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    for (const byte of chunk as Buffer) if (byte === 10) lines++;
  }
  return lines;
}

export function importCommand(): Command {
  return new Command("import")
    .description("create the jobs of a JSON Lines file (one CreateJobRequest per line)")
    .argument("<file>", "the .jsonl file")
    .action(
      run<Record<string, never>>(async (ctx) => {
        const path = ctx.args[0] as string;
        let total: number;
        try {
          total = await countLines(path);
        } catch (err) {
          throw new InputError(`${path}: ${(err as Error).message}`);
        }
        const tty = process.stderr.isTTY === true;
        const bar = startProgress("importing", total);
        const local: Refusal[] = [];
        /** The file line of each item sent, by its index in the stream. */
        const lineOf: number[] = [];
        let sent = 0;
        async function* messages() {
          const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
          let jobs: CreateJobRequest[] = [];
          let line = 0;
          for await (const text of lines) {
            line++;
            if (text.trim() === "") continue;
            try {
              jobs.push(create(CreateJobRequestSchema, parseLine(text)));
              lineOf.push(line);
            } catch (err) {
              local.push({
                line,
                code: "invalid_argument",
                field: "",
                message: (err as Error).message,
              });
            }
            if (jobs.length >= PER_MESSAGE) {
              yield { jobs };
              sent += jobs.length;
              bar.increment(jobs.length);
              if (!tty && sent % PLAIN_EVERY < PER_MESSAGE) note(`sent ${sent} of ${total}`);
              jobs = [];
            }
          }
          if (jobs.length > 0) {
            yield { jobs };
            bar.increment(jobs.length);
          }
        }
        // An import runs as long as it needs: no call deadline.
        const res = await ctx.api().jobs.importJobs(messages(), { timeoutMs: 0 });
        bar.stop();
        const refusals = [
          ...local,
          ...res.refused.map((r) => ({
            line: lineOf[Number(r.index)] ?? -1,
            code: r.code,
            field: r.field,
            message: r.message,
          })),
        ].sort((a, b) => a.line - b.line);
        const counts = {
          created: Number(res.counts?.created ?? 0n),
          existing: Number(res.counts?.existing ?? 0n),
          refused: Number(res.counts?.refused ?? 0n) + local.length,
        };
        emit(ctx.o, { ...counts, refusals } as unknown as JsonValue, () => {
          const head = `created ${counts.created}, existing ${counts.existing}, refused ${counts.refused}`;
          const shown = refusals
            .slice(0, SHOWN_REFUSALS)
            .map((r) => `  line ${r.line}: [${r.code}] ${r.message}`);
          const more =
            refusals.length > SHOWN_REFUSALS
              ? [`  ... and ${refusals.length - SHOWN_REFUSALS} more (--json lists all)`]
              : [];
          return [head, ...shown, ...more].join("\n");
        });
        const first = refusals[0];
        if (first) {
          throw new ConnectError(
            `${counts.refused} of ${counts.refused + counts.created + counts.existing} items refused`,
            codeFromString(first.code) ?? Code.Unknown,
          );
        }
      }),
    );
}
