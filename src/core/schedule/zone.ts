/**
 * Time zones: UTC offsets and the mapping between wall-clock readings and
 * instants, with the product's DST rules:
 *  - a reading inside a spring-forward gap maps to the first instant after
 *    the gap (the transition itself);
 *  - a reading that occurs twice (fall back) maps to its first occurrence.
 *
 * Offsets come from luxon (Intl underneath, ~15 µs a call), so they are
 * memoised per zone in one-day buckets: each bucket knows the offset at its
 * start and at the next bucket's start and, when they differ, the exact
 * transition instant (binary search). This assumes no zone changes its offset
 * twice within one UTC day, which no current tzdb rule does; a zone that did
 * would be misread on that day only.
 */

import { IANAZone } from "luxon";
import { invalidArgument } from "../errors.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "./calendar.js";

const BUCKET_MS = DAY_MS;
/** About 5 years of days per zone. */
const MAX_BUCKETS_PER_ZONE = 2048;
/** Wider than any UTC offset, so every instant showing a reading lies within this of it. */
const SPAN_MS = 16 * HOUR_MS;

export interface ZoneClock {
  readonly name: string;
  /** UTC offset in ms at an instant. */
  offsetAt(ms: number): number;
  /**
   * The wall-clock reading to search strictly after for the next fire after
   * instant `ms`. Usually the reading at `ms`; when `ms` is in the repeated
   * part of a fall-back, the end of the repeat, because every repeated reading
   * already had its first occurrence.
   */
  searchFrom(ms: number): number;
  /** The instant a wall-clock reading fires at, by the DST rules above. */
  toInstant(wall: number): number;
  /**
   * Every instant showing a wall-clock reading, ascending: none inside a
   * spring-forward gap (then `gap` says where it ends), two in a fall-back's
   * repeated hour. For the schedules' other DST policies (`dst-policy.ts`).
   */
  occurrences(wall: number): Occurrences;
  /**
   * As `searchFrom`, for a schedule that fires repeated readings at their
   * last occurrence: inside the first pass of a repeated hour every repeated
   * reading's second occurrence is still ahead, so the search starts before
   * the repeat.
   */
  searchFromLast(ms: number): number;
}

export interface Occurrences {
  instants: number[];
  /** Set when the reading falls in a gap: the gap's last instant + 1 and the first reading after it. */
  gap?: { end: number; resume: number };
}

interface Bucket {
  /** Offset from the bucket start up to `at`. */
  before: number;
  /** First instant with the new offset, or Infinity when the offset is constant. */
  at: number;
  after: number;
}

const UTC_CLOCK: ZoneClock = {
  name: "UTC",
  offsetAt: () => 0,
  searchFrom: (ms) => ms,
  toInstant: (wall) => wall,
  occurrences: (wall) => ({ instants: [wall] }),
  searchFromLast: (ms) => ms,
};

const clocks = new Map<string, ZoneClock>([["UTC", UTC_CLOCK]]);

/**
 * Names already looked up, valid or not. A lookup builds two Intl formatters,
 * about 0.1–0.2 ms: per item, the largest cost of an import's validation
 * (measured on a 40,000-schedule import in 20 zones). Bounded, since the
 * names come from requests: past the bound a name is looked up every time.
 */
const canonicalNames = new Map<string, string | undefined>();
const MAX_CANONICAL_NAMES = 2048;

/** The canonical spelling of an IANA zone name, or undefined when it is unknown. */
export function canonicalZone(name: string): string | undefined {
  if (canonicalNames.has(name)) return canonicalNames.get(name);
  // Offsets such as "+02:00" are not zones (and newer Intl versions accept them).
  const canonical =
    !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name) || !IANAZone.isValidZone(name)
      ? undefined
      : new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  if (canonicalNames.size < MAX_CANONICAL_NAMES) canonicalNames.set(name, canonical);
  return canonical;
}

/** The clock of a valid IANA zone name (memoised). */
export function zoneClock(name: string): ZoneClock {
  let clock = clocks.get(name);
  if (clock === undefined) {
    clock = createZoneClock(name);
    clocks.set(name, clock);
  }
  return clock;
}

function createZoneClock(name: string): ZoneClock {
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw invalidArgument("schedule.time_zone", `unknown time zone "${name}"`);
  const raw = (ms: number) => Math.round(zone.offset(ms) * MINUTE_MS);
  // Offsets at bucket edges are shared by neighbouring buckets.
  const edges = new Map<number, number>();
  const buckets = new Map<number, Bucket>();

  const edge = (index: number): number => {
    let offset = edges.get(index);
    if (offset === undefined) {
      offset = raw(index * BUCKET_MS);
      edges.set(index, offset);
    }
    return offset;
  };

  const bucket = (index: number): Bucket => {
    const hit = buckets.get(index);
    if (hit !== undefined) return hit;
    const before = edge(index);
    const after = edge(index + 1);
    let at = Number.POSITIVE_INFINITY;
    if (before !== after) {
      // The transition is in (start, end]: binary search for its first instant.
      let lo = index * BUCKET_MS;
      let hi = lo + BUCKET_MS;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (raw(mid) === before) lo = mid;
        else hi = mid;
      }
      at = hi;
    }
    if (buckets.size >= MAX_BUCKETS_PER_ZONE) {
      buckets.clear();
      edges.clear();
    }
    const made = { before, at, after };
    buckets.set(index, made);
    return made;
  };

  const offsetAt = (ms: number): number => {
    const b = bucket(Math.floor(ms / BUCKET_MS));
    return ms < b.at ? b.before : b.after;
  };

  const toInstant = (wall: number): number => {
    const lo = wall - SPAN_MS;
    const hi = wall + SPAN_MS;
    // Walk the constant-offset segments of [lo, hi]; the first segment holding
    // an instant that shows `wall` is the earliest occurrence.
    let segmentStart = lo;
    let offset = offsetAt(lo);
    let gapEnd: number | undefined;
    const last = Math.floor(hi / BUCKET_MS);
    for (let i = Math.floor(lo / BUCKET_MS); i <= last; i++) {
      const b = bucket(i);
      if (b.at <= lo || b.at > hi) continue;
      const u = wall - offset;
      if (u >= segmentStart && u < b.at) return u;
      if (gapEnd === undefined && wall >= b.at + b.before && wall < b.at + b.after) gapEnd = b.at;
      segmentStart = b.at;
      offset = b.after;
    }
    const u = wall - offset;
    if (u >= segmentStart) return u;
    return gapEnd ?? u;
  };

  const searchFrom = (ms: number): number => {
    let wall = ms + offsetAt(ms);
    const first = Math.floor((ms - SPAN_MS) / BUCKET_MS);
    for (let i = Math.floor(ms / BUCKET_MS); i >= first; i--) {
      const b = bucket(i);
      if (b.at > ms || b.at <= ms - SPAN_MS) continue;
      // Fall back at b.at: instants [at, at + (before - after)) repeat earlier readings.
      if (b.after < b.before && ms - b.at < b.before - b.after) {
        wall = Math.max(wall, b.at + b.before - 1);
      }
    }
    return wall;
  };

  const occurrences = (wall: number): Occurrences => {
    const lo = wall - SPAN_MS;
    const hi = wall + SPAN_MS;
    // The same walk as `toInstant`, keeping every segment's instant.
    const instants: number[] = [];
    let segmentStart = lo;
    let offset = offsetAt(lo);
    let gap: Occurrences["gap"];
    const last = Math.floor(hi / BUCKET_MS);
    for (let i = Math.floor(lo / BUCKET_MS); i <= last; i++) {
      const b = bucket(i);
      if (b.at <= lo || b.at > hi) continue;
      const u = wall - offset;
      if (u >= segmentStart && u < b.at) instants.push(u);
      if (gap === undefined && wall >= b.at + b.before && wall < b.at + b.after) {
        gap = { end: b.at, resume: b.at + b.after };
      }
      segmentStart = b.at;
      offset = b.after;
    }
    const u = wall - offset;
    if (u >= segmentStart) instants.push(u);
    if (instants.length > 0) return { instants };
    return gap === undefined ? { instants: [u] } : { instants, gap };
  };

  const searchFromLast = (ms: number): number => {
    const first = Math.floor((ms - SPAN_MS) / BUCKET_MS);
    for (let i = Math.floor((ms + SPAN_MS) / BUCKET_MS); i >= first; i--) {
      const b = bucket(i);
      // Fall back at b.at: instants [at - repeat, at) show readings that show again from at.
      const repeat = b.before - b.after;
      if (repeat > 0 && ms >= b.at - repeat && ms < b.at) return b.at + b.after - 1;
    }
    return ms + offsetAt(ms);
  };

  return { name, offsetAt, searchFrom, toInstant, occurrences, searchFromLast };
}
