import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { EffectServer } from "../harness/effect-server.js";
import type { Endpoints, Stack } from "../harness/stack.js";
import { round, summary } from "../stats.js";
import { expectedRuns } from "./expected.js";
import { importItems } from "./import-mix.js";
import type { JobRequest } from "./mix.js";
import { busiestSecond } from "./smoothing.js";
import { runArrivals, settled } from "./verdict.js";

export interface PlainBurstOptions {
  stack: Stack;
  backends: Endpoints;
  prefix: string;
  effect: EffectServer;
  /** As many schedules as the windowed group. */
  count: number;
  /** The main import's rate, to place the burst's time after this import's end. */
  importRatePerS: number;
  lookaheadMs: number;
  /** The store's ceiling in fires (writes ÷ 3); null when not measured. */
  fireCeilingPerS: number | null;
  log: (line: string) => void;
}

/** The group's tag, second as the mix's are (`expected.ts` reads it). */
const GROUP = "top_of_hour_plain";
/** After the last arrival, how long nothing more may come before the burst counts as drained. */
const QUIET_MS = 5_000;
/** How long after its time the burst may take at most. */
const DRAIN_MAX_MS = 600_000;

/**
 * The top-of-the-hour burst without a window, as a second short run on the
 * same stack after the fire window's verdict (the mix goes on firing at
 * its rate meanwhile, as it does around the windowed group): as many cron
 * schedules as the windowed group, imported through ImportJobs, all due at
 * the next whole minute after the import (`M * * * *` in UTC: one instant,
 * as `0 * * * *` in one zone is). Drained once all have reached the
 * endpoint, or nothing more came for 5 s. `drain_s` is from their time to
 * the last first arrival; `rate_per_s` their count over it, and that ÷ the
 * store's ceiling in fires. The runs are told from the mix's by the jobs
 * table (their tag), their executions checked for duplicates and missed.
 */
export async function plainBurst(o: PlainBurstOptions) {
  const estimateMs = ((o.count / Math.max(o.importRatePerS, 1)) * 1.5 + 10) * 1000;
  const atMs = Math.ceil((Date.now() + estimateMs + o.lookaheadMs) / 60_000) * 60_000;
  const request = (i: number): JobRequest => ({
    name: `scale-burst-${i}`,
    owner: `team-${i % 100}`,
    tags: ["bench-scale", GROUP],
    schedule: {
      kind: { case: "cron", value: `${new Date(atMs).getUTCMinutes()} * * * *` },
      timeZone: "UTC",
      startTime: timestampFromMs(atMs - 1000),
    },
    target: { kind: { case: "http", value: { method: "POST", url: o.effect.url } } },
  });
  o.log(`burst without a window: ${o.count} schedules due at ${new Date(atMs).toISOString()}`);
  const sent = await importItems(
    o.stack,
    Array.from({ length: o.count }, (_, i) => i),
    request,
    o.log,
  );
  const importedLate = Date.now() > atMs - o.lookaheadMs;
  if (importedLate) o.log("warning: the burst's import ended after its look-ahead: claims late");
  const at: { startMs: number; endMs: number } = { startMs: atMs, endMs: atMs + 1 };
  await sleep(Math.max(0, atMs - Date.now()));
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const n = runArrivals(o.effect, at).size;
    if (n !== last) [last, quietSince] = [n, Date.now()];
    const quiet = Date.now() - quietSince;
    if ((n >= sent.created && quiet >= QUIET_MS) || quiet >= 6 * QUIET_MS) break;
    if (Date.now() > atMs + DRAIN_MAX_MS) break;
    await sleep(500);
  }
  const dynamo = new DynamoDBClient({
    endpoint: o.backends.dynamodb,
    region: o.backends.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const expected = await expectedRuns(dynamo, `${o.prefix}jobs`, at).finally(() =>
    dynamo.destroy(),
  );
  const ours = new Map([...expected.runs].filter(([, group]) => group === GROUP));
  const runs = [...ours.keys()];
  const arrivals = runArrivals(o.effect, at);
  const starts = runs.flatMap((r) => (arrivals.has(r) ? [arrivals.get(r)!] : []));
  // Read again until each has SUCCEEDED (its outcome write follows the call), at most 60 s.
  const rows = (await settled(o.backends, o.prefix, at, ours, o.effect, o.log)).filter((r) =>
    ours.has(`${r.jobId}:${r.scheduled}`),
  );
  const succeeded = new Set(
    rows.filter((r) => r.st === "SUCCEEDED").map((r) => `${r.jobId}:${r.scheduled}`),
  );
  const drainMs = starts.length ? starts.reduce((a, b) => Math.max(a, b)) - atMs : 0;
  const rate = starts.length / Math.max(drainMs / 1000, 0.001);
  return {
    schedules: runs.length,
    created: sent.created,
    refused: sent.refused,
    imported_late: importedLate,
    started: starts.length,
    drain_s: round(drainMs / 1000, 2),
    rate_per_s: round(rate, 1),
    ceiling_ratio: o.fireCeilingPerS === null ? null : round(rate / o.fireCeilingPerS, 2),
    busiest_second: busiestSecond(starts, atMs),
    start_lateness_ms: summary(starts.map((s) => s - atMs)),
    duplicates: rows.filter((r) => r.st === "SUCCEEDED").length - succeeded.size,
    missed: runs.filter((r) => !succeeded.has(r)).length,
  };
}
