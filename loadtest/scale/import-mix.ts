import type { Stack } from "../harness/stack.js";
import { percentile, round } from "../stats.js";
import { type JobRequest, type MixPlan, type MixTimes, mixRequest } from "./mix.js";

/** Items per ImportJobs message (well under the API's 1 MiB per message). */
const PER_MESSAGE = 500;
/**
 * How much slower than the first part the rest of the import may run before
 * the idle window is cut short. Measured: the rest at a million ran 0.95 times
 * the first part's rate; at 10,000 in the suite, beside other e2e files
 * starting, 1 ÷ 1.19 of it (386.5/s, then 324/s).
 */
const SAFETY = 1.5;

export interface ImportFigures {
  seconds: number;
  rate_per_s: number;
  created: number;
  refused: number;
  refused_examples: string[];
  /**
   * The first part's rate (the far copies' second half, the median of its
   * calls): what the fire window's start was planned on.
   */
  first_part_rate_per_s: number;
}

/** What one ImportJobs call answered. */
export interface Sent {
  created: number;
  refused: number;
  examples: string[];
}

/**
 * Streams the requests `items` (their indices, turned into requests by
 * `request`) through one ImportJobs call. Refused items are not sent again: without an idempotency
 * key a resent item may be created twice, and one refused as `unavailable`
 * may have been stored all the same (the API gives up on a BatchWriteItem
 * that does not answer in time, which the store may still apply). What is
 * stored is what counts: the fire window's runs are computed from the jobs
 * table (`expected.ts`).
 */
export async function importItems(
  stack: Stack,
  items: number[],
  request: (i: number) => JobRequest,
  log: (line: string) => void,
): Promise<Sent> {
  let sent = 0;
  async function* stream() {
    while (sent < items.length) {
      const slice = items.slice(sent, sent + PER_MESSAGE);
      yield { jobs: slice.map(request) };
      sent += slice.length;
      if (sent % 100_000 < slice.length && sent >= 100_000) log(`sent ${sent} of ${items.length}`);
    }
  }
  const res = await stack.clients().jobs.importJobs(stream(), { timeoutMs: 0 });
  return {
    created: Number(res.counts?.created ?? 0n),
    // Beyond the first 10,000 refusals the API lists none.
    refused: Number(res.counts?.refused ?? 0n),
    examples: res.refused
      .slice(0, 5)
      .map((r) => `#${items[Number(r.index)]} ${r.code} ${r.field}: ${r.message}`),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/**
 * The timed part goes in up to this many ImportJobs calls, and the plan takes
 * their median rate: one slow call does not decide it. In a clean-clone run
 * the 1,000 stack's timed part was a single call of 100 items that ran at
 * 13.5/s; it planned 94 s for an import that took 10 s, and the suite idled
 * 100 s.
 */
const TIMED_CALLS = 5;
/**
 * The fewest items a timed call carries. A small call is no measure of the
 * rest, which goes in messages of 500 written by many BatchWriteItems at
 * once: beside other e2e files, the 1,000 stack's five calls of 20 items ran
 * at a median of 12.7/s, and the rest at 58.7/s.
 */
const TIMED_CALL_ITEMS = 200;

/** `items` cut into `n` runs of nearly equal length (fewer when there are fewer items). */
function slices(items: number[], n: number): number[][] {
  const size = Math.ceil(items.length / n);
  const out: number[][] = [];
  for (let k = 0; k < items.length; k += size) out.push(items.slice(k, k + size));
  return out;
}

/**
 * Imports the mix through ImportJobs in two parts. The first, the far group
 * (copies of the rest's schedules, beginning days ahead), needs no fire window
 * and times the import; the fire
 * window's start is then planned from that rate (`planStart` gets the
 * estimated end of the import) and the rest is imported with it, so that
 * every recurring schedule starts at it.
 */
export async function importMix(
  stack: Stack,
  plan: MixPlan,
  options: {
    url: string;
    /** The fire window's start and the smoothing group's zone, from the import's estimated end. */
    planStart: (importEndMs: number) => { fireFromMs: number; topZone?: string };
  },
  log: (line: string) => void,
): Promise<{ figures: ImportFigures; fireFromMs: number; topZone: string | undefined }> {
  const t0 = Date.now();
  const farFromMs = t0 + 2 * 86_400_000;
  const farTimes = { fireFromMs: farFromMs, farFromMs, url: options.url };
  const far = plan.groups.find((g) => g.group === "far")!.count;
  // A stack's first items are slow (connections, the processes' and the
  // store's code warming up, a new table): the first half goes untimed.
  // Measured at 10,000, a cold stack's first 280 items took 946 ms, the next
  // 256–463 ms each.
  const warm = Math.floor(far / 2);
  const farRequest = (i: number) => mixRequest(plan, i, farTimes);
  const warmed = await importItems(stack, range(0, warm), farRequest, log);
  const firsts: Sent[] = [];
  const rates: number[] = [];
  const calls = Math.max(1, Math.min(TIMED_CALLS, Math.floor((far - warm) / TIMED_CALL_ITEMS)));
  for (const slice of slices(range(warm, far), calls)) {
    const t1 = Date.now();
    firsts.push(await importItems(stack, slice, farRequest, log));
    rates.push(slice.length / Math.max((Date.now() - t1) / 1000, 0.001));
  }
  const firstRate = percentile(rates, 50);
  const left = plan.schedules - far;
  const estimatedS = far - warm > 0 ? (left / firstRate) * SAFETY + 5 : 10 + left / 100;
  const { fireFromMs, topZone } = options.planStart(Date.now() + estimatedS * 1000);
  log(
    `first ${far} imported (${round(firstRate)}/s); the rest (${left}) estimated ≤ ${round(estimatedS)} s; fire window starts ${new Date(fireFromMs).toISOString()}`,
  );
  const times: MixTimes = {
    fireFromMs,
    farFromMs,
    url: options.url,
    ...(topZone ? { topZone } : {}),
  };
  const rest = await importItems(
    stack,
    range(far, plan.schedules),
    (i) => mixRequest(plan, i, times),
    log,
  );
  const seconds = (Date.now() - t0) / 1000;
  const parts = [warmed, ...firsts, rest];
  const refused = parts.reduce((n, p) => n + p.refused, 0);
  const examples = parts.flatMap((p) => p.examples).slice(0, 5);
  if (refused > 0) log(`warning: ${refused} schedules refused: ${examples.join("; ")}`);
  return {
    fireFromMs,
    topZone,
    figures: {
      seconds: round(seconds),
      rate_per_s: round(plan.schedules / seconds),
      created: parts.reduce((n, p) => n + p.created, 0),
      refused,
      refused_examples: examples,
      first_part_rate_per_s: round(firstRate),
    },
  };
}
