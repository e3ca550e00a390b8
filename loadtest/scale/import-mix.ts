import type { Stack } from "../harness/stack.js";
import { round } from "../stats.js";
import { type MixPlan, type MixTimes, mixRequest } from "./mix.js";

/** Items per ImportJobs message (well under the API's 1 MiB per message). */
const PER_MESSAGE = 500;
/** How much slower than the first part the rest of the import may run before the idle window is cut short. */
const SAFETY = 1.5;
/** ImportJobs calls per part at most: the first, and the resending of items refused as unavailable. */
const ROUNDS = 4;

export interface ImportFigures {
  seconds: number;
  rate_per_s: number;
  created: number;
  refused: number;
  refused_examples: string[];
  /** Items refused as unavailable and sent again (created by a later call, or counted refused). */
  resent: number;
  /** The first part's rate (the far one-time jobs): what the fire window's start was planned on. */
  first_part_rate_per_s: number;
}

/** What one ImportJobs call left: its counts, and the items refused as unavailable (worth sending again). */
interface Sent {
  created: number;
  refused: number;
  unavailable: number[];
  examples: string[];
}

/**
 * Streams the schedules `items` of the mix (their indices) through one
 * ImportJobs call. Items the API refused as `unavailable` (the store did not
 * answer within the API's deadline) are sent again, as a client would, up to
 * `ROUNDS` calls in all; other refusals are reported.
 */
async function importItems(
  stack: Stack,
  plan: MixPlan,
  items: number[],
  times: MixTimes,
  log: (line: string) => void,
): Promise<Sent> {
  const total: Sent = { created: 0, refused: 0, unavailable: [], examples: [] };
  let batch = items;
  for (let call = 1; batch.length > 0; call++) {
    const current = batch;
    let sent = 0;
    async function* stream() {
      while (sent < current.length) {
        const slice = current.slice(sent, sent + PER_MESSAGE);
        yield { jobs: slice.map((i) => mixRequest(plan, i, times)) };
        sent += slice.length;
        if (sent % 100_000 < slice.length && sent >= 100_000)
          log(`sent ${sent} of ${current.length}`);
      }
    }
    const res = await stack.clients().jobs.importJobs(stream(), { timeoutMs: 0 });
    total.created += Number(res.counts?.created ?? 0n);
    const again = res.refused.filter((r) => r.code === "unavailable");
    const final =
      call >= ROUNDS ? res.refused : res.refused.filter((r) => r.code !== "unavailable");
    // Beyond the first 10,000 refusals the API names none: those are lost.
    total.refused += final.length + Number(res.refusedOmitted);
    total.examples.push(
      ...final
        .slice(0, 5)
        .map((r) => `#${current[Number(r.index)]} ${r.code} ${r.field}: ${r.message}`),
    );
    batch = call >= ROUNDS ? [] : again.map((r) => current[Number(r.index)]!);
    if (batch.length > 0) log(`${batch.length} refused as unavailable; sending them again`);
    total.unavailable.push(...batch);
  }
  return total;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/**
 * Imports the mix through ImportJobs in two parts. The first, the one-time
 * jobs days ahead, needs no fire window and times the import; the fire
 * window's start is then planned from that rate (`planStart` gets the
 * estimated end of the import) and the rest is imported with it, so that
 * every recurring schedule starts at it.
 */
export async function importMix(
  stack: Stack,
  plan: MixPlan,
  options: { url: string; planStart: (importEndMs: number) => number },
  log: (line: string) => void,
): Promise<{ figures: ImportFigures; fireFromMs: number }> {
  const t0 = Date.now();
  const farFromMs = t0 + 2 * 86_400_000;
  const farTimes = { fireFromMs: farFromMs, farFromMs, url: options.url };
  const far = plan.groups.find((g) => g.group === "once_far")!.count;
  // The first call of a process is slow (connections, the code's first
  // runs): a few items go first, untimed.
  const warm = Math.min(20, Math.floor(far / 2));
  const warmed = await importItems(stack, plan, range(0, warm), farTimes, log);
  const t1 = Date.now();
  const first = await importItems(stack, plan, range(warm, far), farTimes, log);
  const firstRate = (far - warm) / Math.max((Date.now() - t1) / 1000, 0.001);
  const left = plan.schedules - far;
  const estimatedS = far - warm > 0 ? (left / firstRate) * SAFETY + 5 : 10 + left / 100;
  const fireFromMs = options.planStart(Date.now() + estimatedS * 1000);
  log(
    `first ${far} imported (${round(firstRate)}/s); the rest (${left}) estimated ≤ ${round(estimatedS)} s; fire window starts ${new Date(fireFromMs).toISOString()}`,
  );
  const times = { fireFromMs, farFromMs, url: options.url };
  const rest = await importItems(stack, plan, range(far, plan.schedules), times, log);
  const seconds = (Date.now() - t0) / 1000;
  const parts = [warmed, first, rest];
  const refused = parts.reduce((n, p) => n + p.refused, 0);
  const examples = parts.flatMap((p) => p.examples).slice(0, 5);
  if (refused > 0) log(`warning: ${refused} schedules refused: ${examples.join("; ")}`);
  return {
    fireFromMs,
    figures: {
      seconds: round(seconds),
      rate_per_s: round(plan.schedules / seconds),
      created: parts.reduce((n, p) => n + p.created, 0),
      refused,
      refused_examples: examples,
      resent: parts.reduce((n, p) => n + p.unavailable.length, 0),
      first_part_rate_per_s: round(firstRate),
    },
  };
}
