/**
 * The spreading rule of flexible windows (`core/window-spread.ts`), pure:
 * every planned start lies in its window, a burst comes out even (the
 * busiest second at most 1.3 × the average) however it is cut into
 * partitions and passes, where a per-job hash clumps, and late passes
 * spread over what is left of the window.
 */

import { describe, expect, it } from "vitest";
import { partitionOf } from "../../../src/core/partition.js";
import { jitterOffset } from "../../../src/core/schedule/fire.js";
import {
  createSpreadMemory,
  planStarts,
  type SpreadMemory,
  startMargin,
  type WindowRun,
} from "../../../src/core/window-spread.js";
import { seededRandom } from "../../support/random.js";

const T = Date.UTC(2030, 0, 1, 12);
const PARTITIONS = 256;
const BATCH = 100;

/** `n` job ids in the project's format, from a seeded generator. */
function jobIds(n: number, seed: number): string[] {
  const random = seededRandom(seed);
  const letters = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from({ length: n }, () => {
    let id = "job_";
    for (let i = 0; i < 26; i++) id += letters[Math.floor(random() * letters.length)];
    return id;
  });
}

/**
 * What the scheduler does with a burst of runs due at T: each partition's
 * runs are claimed in passes of at most BATCH, the partitions' passes
 * interleaved in a random order (the loops pick whichever is ready), each
 * node with its own memory. Returns every planned start.
 */
function claimBurst(
  ids: string[],
  windowMs: number,
  options: { nodes?: number; nowMs?: number; seed?: number } = {},
): number[] {
  const nodes = options.nodes ?? 1;
  const random = seededRandom(options.seed ?? 7);
  const memories: SpreadMemory[] = Array.from({ length: nodes }, (_, i) =>
    createSpreadMemory(`node-${i}`),
  );
  const byPartition = new Map<number, WindowRun[]>();
  for (const jobId of ids) {
    const p = partitionOf(jobId, PARTITIONS);
    const list = byPartition.get(p) ?? [];
    list.push({ jobId, nominalMs: T, windowMs });
    byPartition.set(p, list);
  }
  const passes: Array<{ node: number; runs: WindowRun[] }> = [];
  for (const [p, runs] of byPartition) {
    for (let i = 0; i < runs.length; i += BATCH) {
      passes.push({ node: p % nodes, runs: runs.slice(i, i + BATCH) });
    }
  }
  // The loops take partitions in whatever order they become ready.
  for (let i = passes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [passes[i], passes[j]] = [passes[j]!, passes[i]!];
  }
  const starts: number[] = [];
  for (const pass of passes) {
    starts.push(...planStarts(pass.runs, options.nowMs ?? T - 5_000, memories[pass.node]!));
  }
  return starts;
}

/** The busiest second's starts ÷ the average per second, over [from, from + span). */
function peakToAverage(starts: number[], fromMs: number, spanMs: number): number {
  const seconds = Math.ceil(spanMs / 1000);
  const counts = new Array<number>(seconds).fill(0);
  for (const s of starts) counts[Math.floor((s - fromMs) / 1000)]!++;
  return Math.max(...counts) / (starts.length / seconds);
}

describe("flexible window spreading", () => {
  it("plans every start inside its window, [time, time + window), leaving the margin at its end", () => {
    for (const windowMs of [1_000, 10_000, 60_000, 900_000]) {
      const starts = claimBurst(jobIds(5_000, windowMs), windowMs);
      for (const s of starts) {
        expect(s).toBeGreaterThanOrEqual(T);
        expect(s).toBeLessThan(T + windowMs - startMargin(windowMs));
      }
    }
    expect([1_000, 10_000, 60_000].map(startMargin)).toEqual([100, 1_000, 1_000]);
  }, 60_000);

  it("spreads 100,000 runs of one time over a 60 s window evenly across 256 partitions (peak ≤ 1.3 × average)", () => {
    const ids = jobIds(100_000, 1);
    const one = claimBurst(ids, 60_000);
    expect(one).toHaveLength(100_000);
    expect(peakToAverage(one, T, 60_000)).toBeLessThanOrEqual(1.3);
    // Three nodes, each planning its own partitions' runs with its own sequence.
    const three = claimBurst(ids, 60_000, { nodes: 3 });
    expect(peakToAverage(three, T, 60_000)).toBeLessThanOrEqual(1.3);
  }, 60_000);

  it("stays even for small bursts, where a per-job hash clumps", () => {
    // 3,600 runs over 60 s: 60 a second, most partitions holding 14.
    const ids = jobIds(3_600, 1);
    const spread = claimBurst(ids, 60_000);
    expect(peakToAverage(spread, T, 60_000)).toBeLessThanOrEqual(1.1);
    expect(peakToAverage(claimBurst(ids, 60_000, { nodes: 3 }), T, 60_000)).toBeLessThanOrEqual(
      1.1,
    );
    // Jitter's per-job hash on the same runs: Poisson clumps (1.27 here).
    const hashed = ids.map((id) => T + jitterOffset(id, T, 60_000));
    expect(peakToAverage(hashed, T, 60_000)).toBeGreaterThan(1.2);
  });

  it("plans the same starts for the same pass, whatever the order the runs were read in", () => {
    const runs = jobIds(50, 3).map((jobId) => ({ jobId, nominalMs: T, windowMs: 30_000 }));
    const a = planStarts(runs, T - 5_000, createSpreadMemory("n"));
    const reversed = [...runs].reverse();
    const b = planStarts(reversed, T - 5_000, createSpreadMemory("n")).reverse();
    expect(b).toEqual(a);
  });

  it("spreads a pass made after the window began over what is left of it", () => {
    const now = T + 40_000;
    const runs = jobIds(200, 4).map((jobId) => ({ jobId, nominalMs: T, windowMs: 60_000 }));
    const starts = planStarts(runs, now, createSpreadMemory("n"));
    for (const s of starts) {
      expect(s).toBeGreaterThanOrEqual(now);
      expect(s).toBeLessThan(T + 59_000);
    }
    expect(peakToAverage(starts, now, 19_000)).toBeLessThanOrEqual(1.3);
  });

  it("starts at once a run claimed in its window's margin or after the window (the scheduler was late)", () => {
    expect(
      planStarts(
        [{ jobId: "job_a", nominalMs: T, windowMs: 60_000 }],
        T + 59_500,
        createSpreadMemory("n"),
      ),
    ).toEqual([T + 59_500]);
    const now = T + 61_000;
    expect(
      planStarts(
        [{ jobId: "job_a", nominalMs: T, windowMs: 60_000 }],
        now,
        createSpreadMemory("n"),
      ),
    ).toEqual([now]);
  });

  it("keeps groups of different times and windows apart, and forgets a group once its window passed", () => {
    const memory = createSpreadMemory("n");
    planStarts(
      [
        { jobId: "job_a", nominalMs: T, windowMs: 10_000 },
        { jobId: "job_b", nominalMs: T, windowMs: 20_000 },
        { jobId: "job_c", nominalMs: T + 60_000, windowMs: 10_000 },
      ],
      T - 1_000,
      memory,
    );
    expect(memory.groups.size).toBe(3);
    planStarts([], T + 10_000, memory);
    expect([...memory.groups.keys()]).toEqual([`${T}/20000`, `${T + 60_000}/10000`]);
  });
});
