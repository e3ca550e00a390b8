/**
 * How every command prints, decided here only: `--json` prints the proto
 * JSON of the response as one document (what `buf curl` prints for the same
 * call); otherwise a table or a few `field: value` lines for people. Notes and
 * progress go to stderr, so stdout stays clean for pipes.
 */

import { createRegistry, type JsonValue, type Message, toJson } from "@bufbuild/protobuf";
import Table from "cli-table3";
import { file_chronoring_v1_backfill_service } from "../../gen/chronoring/v1/backfill_service_pb.js";
import { file_chronoring_v1_calendar_service } from "../../gen/chronoring/v1/calendar_service_pb.js";
import { file_chronoring_v1_cluster_service } from "../../gen/chronoring/v1/cluster_service_pb.js";
import { file_chronoring_v1_dead_letter_service } from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import { file_chronoring_v1_job_service } from "../../gen/chronoring/v1/job_service_pb.js";
import { file_chronoring_v1_workflow_service } from "../../gen/chronoring/v1/workflow_service_pb.js";
import { fitWidths } from "./table-fit.js";

export interface OutputOptions {
  json?: boolean;
}

const registry = createRegistry(
  file_chronoring_v1_job_service,
  file_chronoring_v1_dead_letter_service,
  file_chronoring_v1_calendar_service,
  file_chronoring_v1_workflow_service,
  file_chronoring_v1_cluster_service,
  file_chronoring_v1_backfill_service,
);

/** The proto JSON of any Chronoring message (lowerCamel names, enums by name, int64 as strings). */
export function jsonOf(message: Message): JsonValue {
  const schema = registry.getMessage(message.$typeName);
  if (schema === undefined) throw new Error(`no schema for ${message.$typeName}`);
  return toJson(schema, message, { registry });
}

/**
 * Prints a result: with `--json` the proto JSON of `message` (or the JSON
 * value given), else what `human` renders.
 */
export function emit(o: OutputOptions, result: Message | JsonValue, human: () => string): void {
  if (o.json) {
    const value = isMessage(result) ? jsonOf(result) : result;
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const text = human();
  if (text !== "") process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function isMessage(value: unknown): value is Message {
  return typeof value === "object" && value !== null && "$typeName" in value;
}

/** A line for the user on stderr (never part of the output scripts read). */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** One column of a table. */
export interface Column<T> {
  header: string;
  value(row: T): string;
  /** Free text that may wrap (at word boundaries) on a narrow terminal; ids never do. */
  flex?: boolean;
  /** Left out first when the terminal is too narrow for every column. */
  optional?: boolean;
}

const GAP = 2;
const NO_BORDERS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: " ".repeat(GAP),
};

/**
 * The terminal's width: COLUMNS when set (tests, `COLUMNS=60 chronoring ...`),
 * the TTY's width, or unbounded when stdout is a pipe.
 */
export function terminalWidth(): number {
  const fromEnv = Number(process.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return process.stdout.isTTY ? process.stdout.columns : Number.POSITIVE_INFINITY;
}

/**
 * Rows as an aligned table without borders (as kubectl prints), fitted to
 * `width`: optional columns go first, then free-text columns wrap.
 */
export function table<T>(columns: Column<T>[], rows: T[], width = terminalWidth()): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const natural = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((r) => longestLine(r[i]!))),
  );
  const fit = fitWidths(natural, columns, width, GAP);
  const pick = <V>(values: V[]) => values.filter((_, i) => fit.keep[i]);
  const t = new Table({
    head: pick(columns.map((c) => c.header)),
    chars: NO_BORDERS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    ...(fit.wrapped ? { colWidths: pick(fit.widths), wordWrap: true } : {}),
  });
  for (const row of cells) t.push(pick(row));
  return t
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

/** `name:  value` lines, aligned, for one item. */
export function fields(pairs: Array<[string, string]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`).join("\n");
}

function longestLine(text: string): number {
  return Math.max(...text.split("\n").map((l) => l.length));
}

/**
 * One event of a stream (`runs watch`): a line of text, or with `--json` the
 * message's proto JSON on one line (JSON Lines), written as it happens.
 */
export function emitLine(o: OutputOptions, message: Message, text: string): void {
  process.stdout.write(`${o.json ? JSON.stringify(jsonOf(message)) : text}\n`);
}
