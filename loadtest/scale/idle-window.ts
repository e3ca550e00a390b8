import { setTimeout as sleep } from "node:timers/promises";

/** Where the idle window lies, and whether it had to be cut short. */
export interface IdleWindow {
  startMs: number;
  endMs: number;
  /** Whole units of backstops in it (0: cut short). */
  units: number;
  /** The middle of the quietest part of the backstops' cycle (epoch ms; null: none seen). */
  phaseMs: number | null;
}

/**
 * Places the idle window so that each partition's backstop reads count a
 * whole number of times. An idle node reads every partition at its poll and
 * sweep backstops, measured from when it gained them: all 256 at once, so
 * the reads come in bursts on multiples of the backstops' greatest common
 * divisor (`cycleMs`). A window whose edge cuts a burst counts part of it:
 * one burst is a ninth of a 10-minute window's reads at the defaults. So the scheduler's query count
 * is watched over one cycle (`count`, a scrape of its /metrics, before the
 * window: what it costs is outside it), the window starts in the middle of
 * the longest quiet stretch, and it lasts whole `unitMs` (a multiple of both
 * backstops), so its end falls in the same stretch. As many units as fit
 * before `latestEndMs`; cut short (`units` 0) when not even one does.
 */
export async function placeIdleWindow(options: {
  count: () => Promise<number>;
  cycleMs: number;
  unitMs: number;
  earliestMs: number;
  latestEndMs: number;
}): Promise<IdleWindow> {
  const { cycleMs, unitMs, latestEndMs } = options;
  await sleep(Math.max(0, options.earliestMs - Date.now()));
  // Watching takes one cycle; then a window of one unit must still fit.
  if (latestEndMs - Date.now() < cycleMs * 2 + unitMs) {
    return { startMs: Date.now(), endMs: latestEndMs, units: 0, phaseMs: null };
  }
  const probeFrom = Date.now();
  const bursts: number[] = [];
  let last = await options.count();
  const every = Math.max(100, Math.min(500, cycleMs / 100));
  while (Date.now() - probeFrom < cycleMs) {
    await sleep(every);
    const before = Date.now();
    const now = await options.count();
    if (now > last) bursts.push(((before + Date.now()) / 2 - probeFrom) % cycleMs);
    last = now;
  }
  const phaseMs = bursts.length > 0 ? probeFrom + quietestMiddle(bursts, cycleMs) : null;
  const ref = phaseMs ?? Date.now();
  // The first start on the phase from now, then as many units as fit, the
  // start moved as late as the slack allows (on the phase still).
  const first = ref + Math.ceil((Date.now() - ref) / cycleMs) * cycleMs;
  const units = Math.floor((latestEndMs - first) / unitMs);
  if (units < 1) return { startMs: Date.now(), endMs: latestEndMs, units: 0, phaseMs };
  const startMs = first + Math.floor((latestEndMs - first - units * unitMs) / cycleMs) * cycleMs;
  return { startMs, endMs: startMs + units * unitMs, units, phaseMs };
}

/** The middle of the longest gap between `points` on a circle of `cycle`. */
export function quietestMiddle(points: number[], cycle: number): number {
  const sorted = [...points].sort((a, b) => a - b);
  let best = { gap: -1, middle: 0 };
  for (let i = 0; i < sorted.length; i++) {
    const from = sorted[i]!;
    const to = i + 1 < sorted.length ? sorted[i + 1]! : sorted[0]! + cycle;
    if (to - from > best.gap) best = { gap: to - from, middle: (from + (to - from) / 2) % cycle };
  }
  return best.middle;
}
