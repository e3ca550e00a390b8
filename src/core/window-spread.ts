/**
 * Where in its flexible window each run starts. Pure: the scheduler's claim
 * pass calls it with the runs it found and a small memory it keeps per node;
 * benchmarks and tests call it the same way.
 *
 * The rule. Runs that share a nominal time and a window length form a group
 * (a `0 * * * *` burst with a 60 s window is one group per hour). The n-th
 * run of a group this node plans starts at
 *
 *     time + lo + ⌊(P − lo) · frac(φ + n·α)⌋
 *
 * where α = (√5 − 1)/2 (the golden ratio's fractional part), φ a phase of the
 * group on this node, lo how much of the window had passed when the pass ran
 * (0 for a claim made ahead of time, as claims are), and P the part of the
 * window starts are planned in: the window W less a margin of min(1 s, W/10)
 * for the send and the worker's start, so that a run sent at the end of P
 * still starts inside the window. Any run of
 * consecutive n of such a sequence is spread about evenly (the three-gap
 * theorem: N points cut the window into gaps of at most three lengths; with
 * this α the longest is under 1.9·W/N), so:
 * - every pass (one partition, up to a batch of runs) is spread over the
 *   window, and so is everything the node planned for that time, however
 *   the group was split into passes and partitions;
 * - nodes plan their own sequences (their phases differ), each spread, so the
 *   sum is too;
 * - a per-job hash would throw each run independently, which leaves
 *   Poisson clumps (about +30 % in the busiest second for 60 runs a second).
 *
 * Runs of one pass are numbered in job id order, so that a pass over the
 * same runs plans the same starts. The memory (how many runs of each group
 * were planned) lives in the scheduler's process: a node that takes a
 * partition over continues its own sequence. Nothing here is needed to keep
 * a start once planned: the claim records it (see `Claim.plannedMs`).
 */

import { createHash } from "node:crypto";

/** The golden ratio's fractional part: the most evenly spreading step of a Kronecker sequence. */
const ALPHA = (Math.sqrt(5) - 1) / 2;

/** What is left at the end of a window for the send and the start (see the rule above). */
export function startMargin(windowMs: number): number {
  return Math.min(1_000, Math.floor(windowMs / 10));
}

/** One run found by a claim pass whose job has a flexible window. */
export interface WindowRun {
  jobId: string;
  /** The run's time: its job's next run as read (calendar applied). */
  nominalMs: number;
  windowMs: number;
}

/**
 * What a node remembers of the groups it spread: how many runs of each it
 * planned. Forgotten once a group's window has passed.
 */
export interface SpreadMemory {
  /** Seeds the groups' phases, so that nodes do not plan the same sequence. */
  readonly seed: string;
  readonly groups: Map<string, { planned: number; phase: number; endMs: number }>;
}

export function createSpreadMemory(seed: string): SpreadMemory {
  return { seed, groups: new Map() };
}

/** The phase of a group on a node, in [0, 1). */
function phaseOf(seed: string, key: string): number {
  const digest = createHash("sha256").update(`${seed}/${key}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * The planned start of each run of `runs` (same order), each in
 * `[max(nominal, now), nominal + window − margin)`; `now` for a run claimed
 * later than that (at the window's end or beyond it: it is sent at once, as
 * any late run).
 */
export function planStarts(
  runs: readonly WindowRun[],
  nowMs: number,
  memory: SpreadMemory,
): number[] {
  for (const [key, group] of memory.groups) if (group.endMs <= nowMs) memory.groups.delete(key);
  const order = [...runs.keys()].sort((a, b) => {
    const x = runs[a]!.jobId;
    const y = runs[b]!.jobId;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const starts: number[] = new Array(runs.length);
  for (const i of order) {
    const run = runs[i]!;
    const endMs = run.nominalMs + run.windowMs;
    const lastMs = endMs - startMargin(run.windowMs);
    const from = Math.max(run.nominalMs, nowMs);
    if (from >= lastMs) {
      starts[i] = from;
      continue;
    }
    const key = `${run.nominalMs}/${run.windowMs}`;
    let group = memory.groups.get(key);
    if (group === undefined) {
      group = { planned: 0, phase: phaseOf(memory.seed, key), endMs };
      memory.groups.set(key, group);
    }
    const at = (group.phase + group.planned * ALPHA) % 1;
    group.planned++;
    starts[i] = from + Math.floor((lastMs - from) * at);
  }
  return starts;
}
