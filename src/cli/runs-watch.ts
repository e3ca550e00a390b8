/**
 * `runs watch`: polls a job's executions and prints each new run and each
 * status change once, until SIGINT or SIGTERM (then exits 0). A server that
 * is briefly unreachable is waited for (said on stderr), not given up on.
 */

import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { type Execution, ExecutionStatusSchema } from "../../gen/chronoring/v1/execution_pb.js";
import type { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { enumLabel } from "./flag-values.js";
import { emitLine, note, type OutputOptions } from "./output.js";
import { utcText } from "./time-text.js";

export interface WatchOptions {
  jobId: string;
  /** Runs scheduled before this are not shown. */
  sinceMs: number;
  intervalMs: number;
  output: OutputOptions;
}

/** The job's executions scheduled at or after `sinceMs` (pages are newest first). */
async function recent(jobs: Client<typeof JobService>, o: WatchOptions): Promise<Execution[]> {
  const found: Execution[] = [];
  let pageToken = "";
  do {
    const res = await jobs.listExecutions({ jobId: o.jobId, pageSize: 100, pageToken });
    for (const e of res.executions) {
      if (e.scheduledTime && timestampMs(e.scheduledTime) >= o.sinceMs) found.push(e);
    }
    const last = res.executions.at(-1);
    if (!last?.scheduledTime || timestampMs(last.scheduledTime) < o.sinceMs) break;
    pageToken = res.nextPageToken;
  } while (pageToken !== "");
  return found.reverse();
}

/** `2026-12-04 08:00:01  <id>  SUCCEEDED  worker-1  <error>`: when it was seen, then the run. */
function line(e: Execution, was: number | undefined): string {
  const status = enumLabel(ExecutionStatusSchema, e.status);
  const change = was === undefined ? "new" : `was ${enumLabel(ExecutionStatusSchema, was)}`;
  const parts = [utcText(Date.now()), e.id, status, `(${change})`];
  if (e.workerId) parts.push(e.workerId);
  if (e.error) parts.push(e.error.split("\n")[0]!);
  return parts.join("  ");
}

export async function watchRuns(jobs: Client<typeof JobService>, o: WatchOptions): Promise<void> {
  let stopped = false;
  let wake: () => void = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  note(`watching ${o.jobId}: runs scheduled since ${utcText(o.sinceMs)} UTC (Ctrl-C stops)`);
  const seen = new Map<string, number>();
  let unreachable = false;
  try {
    while (!stopped) {
      try {
        for (const e of await recent(jobs, o)) {
          const was = seen.get(e.id);
          if (was === e.status) continue;
          seen.set(e.id, e.status);
          emitLine(o.output, e, line(e, was));
        }
        if (unreachable) note("chronoring: the server answers again");
        unreachable = false;
      } catch (err) {
        if (!(err instanceof ConnectError) || err.code !== Code.Unavailable) throw err;
        if (!unreachable) note(`chronoring: ${err.message}; still trying`);
        unreachable = true;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
