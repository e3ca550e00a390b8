import { type CronExpression, CronExpressionParser } from "cron-parser";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { formatLocal, parseSchedule, upcoming } from "../../../src/core/schedule/index.js";
import { seededRandom as random } from "../../support/random.js";

/*
 * Seeded random expressions, zones and instants (mostly close to DST
 * transitions), checked against a reference built only from luxon and
 * cron-parser's `includesDate` — not from the evaluator's own zone code:
 *  - results strictly increase and are all after the start instant;
 *  - each result shows a matching wall-clock reading at its first occurrence,
 *    or is the first instant after a gap that swallowed a matching reading
 *    (offsets: a table of transitions in 2025-2027 found with luxon);
 *  - (5-field expressions) no minute between consecutive results would have
 *    been a fire by that same rule.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Australia/Lord_Howe",
  "Australia/Sydney",
  "America/Santiago",
  "Pacific/Chatham",
  "America/St_Johns",
  "Asia/Kolkata",
];
const YEAR_START = Date.UTC(2026, 0, 1);
const SCAN_START = Date.UTC(2025, 11, 1);
const SCAN_END = Date.UTC(2028, 0, 1);

const luxonOffset = (zone: string, t: number) => DateTime.fromMillis(t, { zone }).offset * MINUTE;

/** A zone's offsets from December 2025 to 2027, from luxon: transition instants and the offset from each on. */
interface OffsetTable {
  zone: string;
  at: number[];
  offsets: number[];
}

function offsetTable(zone: string): OffsetTable {
  const table: OffsetTable = {
    zone,
    at: [Number.NEGATIVE_INFINITY],
    offsets: [luxonOffset(zone, SCAN_START)],
  };
  // Weekly steps: these zones change offset at most twice a year.
  const WEEK = 7 * DAY;
  let current = table.offsets[0] ?? 0;
  for (let from = SCAN_START; from < SCAN_END; from += WEEK) {
    const next = luxonOffset(zone, from + WEEK);
    if (next === current) continue;
    let lo = from;
    let hi = from + WEEK;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (luxonOffset(zone, mid) === current) lo = mid;
      else hi = mid;
    }
    table.at.push(hi);
    table.offsets.push(next);
    current = next;
  }
  return table;
}

function offsetIn(table: OffsetTable, t: number): number {
  if (t < SCAN_START || t >= SCAN_END) return luxonOffset(table.zone, t);
  let i = table.at.length - 1;
  while ((table.at[i] ?? 0) > t) i--;
  return table.offsets[i] ?? 0;
}

/** No earlier instant shows the same wall-clock reading. */
function isFirstOccurrence(table: OffsetTable, t: number): boolean {
  const r = t + offsetIn(table, t);
  for (const earlier of table.offsets) {
    const u = r - earlier;
    if (u < t && offsetIn(table, u) === earlier) return false;
  }
  return true;
}

/** Whether `t` fires by the DST rules, judged by cron-parser's field matching. */
function firesAt(expr: CronExpression, table: OffsetTable, t: number, step: number): boolean {
  const r = t + offsetIn(table, t);
  if (expr.includesDate(new Date(r)) && isFirstOccurrence(table, t)) return true;
  const before = offsetIn(table, t - 1);
  const after = offsetIn(table, t);
  if (after <= before) return false;
  // t ends a gap: the readings [t + before, t + after) never existed.
  for (let w = t + before; w < t + after; w += step) {
    if (expr.includesDate(new Date(w))) return true;
  }
  return false;
}

function randomExpression(rand: () => number): { source: string; seconds: boolean } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const minute = pick(["*", "*/5", "*/15", "*/20", "0", "30", "15,45", "0-10", "50-59/3", "7"]);
  const hour = pick(["*", "*", "*", "*/2", "0-3", "1", "2", "23,0", "2-3", "1-2"]);
  const dom = pick(["*", "*", "*", "*", "1-15", "L"]);
  const month = pick(["*", "*", "*", "3,4,9,10,11"]);
  const dow = pick(["*", "*", "*", "*", "SUN", "0,6", "1-5"]);
  const seconds = rand() < 0.15;
  const head = seconds ? `${pick(["*/20", "0", "30", "59"])} ` : "";
  return { source: `${head}${minute} ${hour} ${dom} ${month} ${dow}`, seconds };
}

describe("property: cron fires obey the field and DST rules (seeded random cases)", () => {
  it("holds for 200 random expressions, zones and instants", () => {
    const rand = random(0xc0ffee);
    const tables = new Map(ZONES.map((zone) => [zone, offsetTable(zone)]));
    let cases = 0;
    let scannedMinutes = 0;
    for (let i = 0; i < 200; i++) {
      const zone = ZONES[Math.floor(rand() * ZONES.length)] ?? "UTC";
      const { source, seconds } = randomExpression(rand);
      const table = tables.get(zone) ?? offsetTable(zone);
      const near = table.at.filter((t) => t >= YEAR_START && t < YEAR_START + 365 * DAY);
      const anchor =
        near.length > 0 && rand() < 0.8
          ? (near[Math.floor(rand() * near.length)] ?? YEAR_START)
          : YEAR_START + Math.floor(rand() * 360 * DAY);
      const after = anchor + Math.floor((rand() - 0.6) * 6 * HOUR);
      const schedule = parseSchedule({ cron: source, timeZone: zone }, YEAR_START);
      const expr = CronExpressionParser.parse(source, { tz: "UTC", currentDate: 0 });
      const runs = upcoming(schedule, after, 5);
      const label = `${source} in ${zone} after ${formatLocal(after, zone)}`;
      expect(runs.length, label).toBe(5);

      let previous = after;
      for (const run of runs) {
        expect(run, label).toBeGreaterThan(previous);
        expect(
          firesAt(expr, table, run, seconds ? 1000 : MINUTE),
          `${label}: ${formatLocal(run, zone)}`,
        ).toBe(true);
        if (!seconds) {
          // Nothing fires in between (scan capped at 3 hours per gap).
          const first = Math.floor(previous / MINUTE) * MINUTE + MINUTE;
          for (let t = first; t < run && t < first + 3 * HOUR; t += MINUTE) {
            scannedMinutes++;
            if (firesAt(expr, table, t, MINUTE)) {
              expect.fail(`${label}: missed ${formatLocal(t, zone)}`);
            }
          }
        }
        previous = run;
      }
      cases++;
    }
    expect(cases).toBe(200);
    expect(scannedMinutes).toBeGreaterThan(20_000);
  }, 30_000);
});
