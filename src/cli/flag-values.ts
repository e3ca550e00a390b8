/**
 * Parsers of flag values (commander `argParser`s). A bad value throws
 * commander's InvalidArgumentError, so it is a usage error (exit 2) naming
 * the flag. Values the server judges (a cron expression, a zone, a URL) are
 * passed on as typed: its InvalidArgument names the field.
 */

import type { DescEnum } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "commander";
import { UsageError } from "./exit-codes.js";

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `5m`, `1h30m`, `500ms`, `1.5s`, `2d` → milliseconds. */
export function parseDurationMs(text: string): number {
  const source = text.trim();
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < source.length) {
    const at = DURATION_PART.lastIndex;
    const m = DURATION_PART.exec(source);
    if (m === null || m.index !== at) {
      throw new InvalidArgumentError("a duration such as 500ms, 90s, 5m, 1h30m or 2d");
    }
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  if (source === "")
    throw new InvalidArgumentError("a duration such as 500ms, 90s, 5m, 1h30m or 2d");
  return Math.round(total);
}

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An instant: RFC 3339 (`2026-12-04T08:00:00Z`, `...+01:00`), a date or a
 * date-time without an offset (read as UTC, never as the machine's zone),
 * `now`, or `+5m` / `-1h` from now.
 */
export function parseTimeMs(text: string, nowMs: number = Date.now()): number {
  const source = text.trim();
  if (source === "now") return nowMs;
  if (source.startsWith("+") || source.startsWith("-")) {
    const span = parseDurationMs(source.slice(1));
    return source.startsWith("+") ? nowMs + span : nowMs - span;
  }
  const m = ISO_DATE_TIME.exec(source);
  if (m !== null) {
    const withZone = m[4] !== undefined || m[1] === undefined ? source : `${source}Z`;
    const ms = Date.parse(withZone.replace(" ", "T"));
    if (!Number.isNaN(ms)) return ms;
  }
  throw new InvalidArgumentError(
    "a time such as 2026-12-04T08:00:00Z (no offset: UTC), now, +10m or -1h",
  );
}

/** A whole number from `min` to `max`. */
export function intIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** For repeatable flags: `--tag a --tag b,c` → ["a", "b", "c"]. */
export function collect(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return [...(previous ?? []), ...items];
}

/** `--header 'Name: value'` (repeatable) → a record. */
export function collectPair(separator: string) {
  return (value: string, previous: Record<string, string> | undefined) => {
    const at = value.indexOf(separator);
    if (at <= 0) throw new InvalidArgumentError(`NAME${separator}VALUE`);
    const name = value.slice(0, at).trim();
    return { ...(previous ?? {}), [name]: value.slice(at + 1).trim() };
  };
}

/** The names a user types for an enum's values: `on-failure` for RETRY_STRATEGY_ON_FAILURE. */
export function enumChoices(desc: DescEnum): string[] {
  return desc.values
    .filter((v) => v.number !== 0)
    .map((v) => v.localName.toLowerCase().replace(/_/g, "-"));
}

/**
 * A parser of an enum flag: the short name in any case, with `-` or `_`
 * (`on-failure`, `ON_FAILURE`), or the full proto name.
 */
export function enumValue(desc: DescEnum): (text: string) => number {
  return (text) => {
    const key = text.trim().toUpperCase().replace(/-/g, "_");
    const value = desc.values.find(
      (v) => v.number !== 0 && (v.localName === key || v.name === key),
    );
    if (value === undefined)
      throw new InvalidArgumentError(`one of ${enumChoices(desc).join(", ")}`);
    return value.number;
  };
}

/** A repeatable enum flag: `--weekday saturday,sunday` → their numbers. */
export function enumList(
  desc: DescEnum,
): (text: string, previous: number[] | undefined) => number[] {
  const one = enumValue(desc);
  return (text, previous) => [...(previous ?? []), ...collect(text, undefined).map(one)];
}

/** The short upper-case name of an enum value for tables (`SUCCEEDED`), or its number. */
export function enumLabel(desc: DescEnum, value: number): string {
  const v = desc.values.find((e) => e.number === value);
  if (v === undefined) return String(value);
  return v.number === 0 ? "-" : v.localName;
}

/** `httpUrl` → `--http-url`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Only one of these flags may be given: the one given, if any (a usage error for more). */
export function oneOf<F extends object>(
  f: F,
  names: Array<keyof F & string>,
  what: string,
): (keyof F & string) | undefined {
  const given = names.filter((n) => f[n] !== undefined);
  if (given.length > 1) {
    throw new UsageError(
      `${what}: give one of ${names.map(flagName).join(", ")} (got ${given.map(flagName).join(", ")})`,
    );
  }
  return given[0];
}
