/**
 * Reads the cron dialects users may write (5 fields, 6 fields with seconds
 * first, AWS `cron(...)`) into cron-parser's six-field dialect plus an optional
 * year list, and turns every parse failure into an InvalidArgument that names
 * the offending field.
 */

import { type CronExpression, CronExpressionParser, type CronFieldCollection } from "cron-parser";
import { invalidArgument } from "../errors.js";

const FIELD = "schedule.cron";
export const MAX_CRON_LENGTH = 256;
export const MIN_CRON_YEAR = 1970;
export const MAX_CRON_YEAR = 2199;

const FIELD_NAMES = ["second", "minute", "hour", "day-of-month", "month", "day-of-week"] as const;
const SHAPE =
  "expected 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, " +
  "or cron(minutes hours day-of-month month day-of-week year)";

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 0 1 1 *",
  "@annually": "0 0 0 1 1 *",
  "@monthly": "0 0 0 1 * *",
  "@weekly": "0 0 0 * * 0",
  "@daily": "0 0 0 * * *",
  "@midnight": "0 0 0 * * *",
  "@hourly": "0 0 * * * *",
};

const MONTH_NAMES = [
  "JAN",
  "FEB",
  "MAR",
  "APR",
  "MAY",
  "JUN",
  "JUL",
  "AUG",
  "SEP",
  "OCT",
  "NOV",
  "DEC",
];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const NAMES = new RegExp(`${[...MONTH_NAMES, ...DAY_NAMES].join("|")}`, "gi");

export interface ParsedCron {
  /** Fields as cron-parser expanded them; matching semantics follow cron-parser. */
  fields: CronFieldCollection;
  /** Allowed (local) years, ascending; undefined when any year is allowed. */
  years: readonly number[] | undefined;
  /**
   * AWS `nW` / `LW` in day-of-month: the weekday (Monday to Friday) nearest
   * day n of the month, or the month's last weekday; never in another month.
   * The day-of-month field is then `*` in `fields`.
   */
  nearestWeekday?: number | "last";
}

/** Parses a cron source; throws InvalidArgument on "schedule.cron". */
export function parseCron(source: string): ParsedCron {
  if (source.length > MAX_CRON_LENGTH) {
    throw invalidArgument(FIELD, `must be at most ${MAX_CRON_LENGTH} characters`);
  }
  const text = source.trim();
  if (text === "") throw invalidArgument(FIELD, `must not be empty; ${SHAPE}`);

  let fields: string[];
  let written: string[];
  let years: readonly number[] | undefined;
  let nearestWeekday: number | "last" | undefined;
  const aws = /^cron\((.*)\)$/is.exec(text);
  if (aws) {
    written = splitFields(aws[1] ?? "");
    if (written.length !== 6) {
      throw invalidArgument(FIELD, `the AWS form takes 6 fields, got ${written.length}; ${SHAPE}`);
    }
    nearestWeekday = parseNearestWeekday(written[2] ?? "");
    fields = fromAws(written);
    if (nearestWeekday !== undefined) fields[3] = "*";
    years = parseYears(written[5] ?? "");
    written = ["0", ...written.slice(0, 5)];
  } else if (/^cron\(/i.test(text)) {
    throw invalidArgument(FIELD, `missing ")"; ${SHAPE}`);
  } else if (text.startsWith("@")) {
    const macro = MACROS[text.toLowerCase()];
    if (macro === undefined) {
      throw invalidArgument(
        FIELD,
        `unknown macro "${text}"; use one of ${Object.keys(MACROS).join(", ")}`,
      );
    }
    fields = macro.split(" ");
    written = fields;
  } else {
    written = splitFields(text);
    if (written.length !== 5 && written.length !== 6) {
      throw invalidArgument(FIELD, `${SHAPE}; got ${written.length} field(s)`);
    }
    fields = written.length === 5 ? ["0", ...written] : written;
    written = fields;
  }
  fields.forEach((field, i) => {
    rejectUnsupported(field, written[i] ?? field, i);
  });
  const parsed = compile(fields, written).fields;
  return nearestWeekday === undefined
    ? { fields: parsed, years }
    : { fields: parsed, years, nearestWeekday };
}

/** `15W` or `LW` in the AWS form's day-of-month (one day, as Quartz allows). */
function parseNearestWeekday(dom: string): number | "last" | undefined {
  if (!/W/i.test(dom)) return undefined;
  if (/^LW$/i.test(dom)) return "last";
  const m = /^(\d{1,2})W$/i.exec(dom);
  const day = m ? Number(m[1]) : Number.NaN;
  if (!(day >= 1 && day <= 31)) {
    throw fieldError(3, dom, "W takes one day of the month, 1W to 31W, or LW (the last weekday)");
  }
  return day;
}

function splitFields(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === "" ? [] : trimmed.split(/\s+/);
}

function fieldError(index: number, written: string, problem: string) {
  return invalidArgument(FIELD, `${FIELD_NAMES[index] ?? "field"} field "${written}": ${problem}`);
}

/** Syntax cron-parser accepts but that we must not: `H` is random per process. */
function rejectUnsupported(field: string, written: string, index: number): void {
  const letters = field.replace(NAMES, "");
  if (/H/i.test(letters)) {
    throw fieldError(
      index,
      written,
      "H (hashed values) is not supported; write the value explicitly",
    );
  }
  if (/W/i.test(letters)) {
    throw fieldError(
      index,
      written,
      "W (nearest weekday) is supported in the day-of-month of the AWS form only, e.g. cron(0 9 15W * ? *)",
    );
  }
  if (/L-/i.test(letters)) {
    throw fieldError(index, written, "L-n (offset from the last day) is not supported");
  }
}

function compile(fields: string[], written: string[]): CronExpression {
  try {
    return CronExpressionParser.parse(fields.join(" "), { tz: "UTC", currentDate: 0 });
  } catch (whole) {
    // Name the culprit: parse each field alone among wildcards.
    for (let i = 0; i < fields.length; i++) {
      const probe = ["0", "*", "*", "*", "*", "*"];
      probe[i] = fields[i] ?? "*";
      try {
        CronExpressionParser.parse(probe.join(" "), { tz: "UTC", currentDate: 0 });
      } catch (err) {
        throw fieldError(i, written[i] ?? "", messageOf(err));
      }
    }
    const message = messageOf(whole);
    if (/explicit day of month/i.test(message)) {
      throw invalidArgument(FIELD, "the day of month never occurs in the selected month(s)");
    }
    throw invalidArgument(FIELD, `invalid expression: ${message}`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * AWS `cron(min hour dom month dow year)`: exactly one of dom/dow is `?`, and
 * day-of-week counts 1-7 from Sunday (cron-parser counts 0-6).
 */
function fromAws(written: string[]): string[] {
  const [minute = "", hour = "", dom = "", month = "", dow = ""] = written;
  if ((dom === "?") === (dow === "?")) {
    throw invalidArgument(
      FIELD,
      "cron(...) needs ? in exactly one of day-of-month and day-of-week, e.g. cron(0 10 * * ? *)",
    );
  }
  const dowStd = dow === "?" ? "?" : dow.split(",").map(awsWeekdayItem).join(",");
  return ["0", minute, hour, dom, month, dowStd];
}

function awsWeekdayItem(item: string): string {
  const bad = (problem: string) => fieldError(5, item, problem);
  const day = (token: string): number => {
    if (/^\d+$/.test(token)) {
      const n = Number(token);
      if (n < 1 || n > 7) throw bad("in cron(...) day-of-week is 1-7 (1 = SUN) or SUN-SAT");
      return n - 1;
    }
    const named = DAY_NAMES.indexOf(token.toUpperCase());
    if (named < 0) throw bad(`unknown day "${token}"; use 1-7 (1 = SUN) or SUN-SAT`);
    return named;
  };
  // Quartz: a bare L in day-of-week is the last day of the week, Saturday.
  if (/^L$/i.test(item)) return "6";
  const last = /^(\w+)L$/i.exec(item);
  if (last) return `${day(last[1] ?? "")}L`;
  const nth = /^(\w+)#(\d+)$/.exec(item);
  if (nth) return `${day(nth[1] ?? "")}#${nth[2]}`;
  const range = /^(\*|\w+?)(?:-(\w+))?(?:\/(\d+))?$/.exec(item);
  if (!range) throw bad("expected a day, a range, a step, nL or n#k");
  const [, from = "", to, step] = range;
  const suffix = step === undefined ? "" : `/${step}`;
  if (from === "*") return step === undefined ? "*" : `0-6${suffix}`;
  // Spell ranges out: cron-parser's day-of-week steps run to 7 (Sunday again).
  if (to !== undefined) return `${day(from)}-${day(to)}${suffix}`;
  return step === undefined ? `${day(from)}` : `${day(from)}-6${suffix}`;
}

/** AWS year field: `*`, a year, a range, a list, each optionally with a step. */
function parseYears(field: string): readonly number[] | undefined {
  if (field === "*" || field === "?") return undefined;
  const bad = (problem: string) => invalidArgument(FIELD, `year field "${field}": ${problem}`);
  const years = new Set<number>();
  for (const item of field.split(",")) {
    const m = /^(\*|\d{4})(?:-(\d{4}))?(?:\/(\d+))?$/.exec(item);
    if (!m) throw bad(`expected *, a year, a range or a list of ${MIN_CRON_YEAR}-${MAX_CRON_YEAR}`);
    const [, head = "", tail, stepText] = m;
    const from = head === "*" ? MIN_CRON_YEAR : Number(head);
    const to = tail !== undefined ? Number(tail) : head === "*" || stepText ? MAX_CRON_YEAR : from;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (from < MIN_CRON_YEAR || to > MAX_CRON_YEAR) {
      throw bad(`years must be within ${MIN_CRON_YEAR}-${MAX_CRON_YEAR}`);
    }
    if (from > to) throw bad(`range ${from}-${to} is reversed`);
    if (step < 1) throw bad("step must be at least 1");
    for (let y = from; y <= to; y += step) years.add(y);
  }
  return [...years].sort((a, b) => a - b);
}
