/**
 * The `file` job target: what it holds and the checks made when a job is
 * created (proto FileTarget, docs/file-jobs.md). Paths are relative to a root
 * the workers allow-list by name; the lexical rules here keep a path inside
 * its root, and the worker checks symbolic links when it runs (it alone sees
 * the files).
 */

import { invalidArgument } from "./errors.js";

export type FileOperation = "COPY" | "MOVE" | "DELETE" | "ARCHIVE" | "CHECKSUM";

export interface FileTarget {
  type: "file";
  operation: FileOperation;
  /** A key of the worker's CHRONORING_FILE_ROOTS. */
  root: string;
  /** Glob patterns relative to the root. */
  sources: string[];
  /** Relative to the root; absent for DELETE (and optional for CHECKSUM). */
  destination?: string;
  overwrite: boolean;
  /** Only files last modified at least this long ago; 0: all. */
  minAgeMs: number;
  timeoutMs: number;
}

export const FILE_TIMEOUT_DEFAULT_MS = 5 * 60_000;
export const FILE_TIMEOUT_MAX_MS = 3600_000;
export const FILE_MIN_AGE_MAX_MS = 3650 * 86_400_000;
export const FILE_SOURCES_MAX = 20;
export const FILE_PATH_MAX = 1024;
/** Files one run may act on; more fails the run before it changes anything. */
export const FILE_MATCH_MAX = 10_000;

const ROOT_NAME = /^[a-z0-9-]{1,64}$/;
const ARCHIVE_NAME = /\.(tar\.gz|tgz)$/;

/** Why a relative path could leave its root or is malformed; undefined when it is fine. */
export function relativePathProblem(path: string): string | undefined {
  if (path === "") return "required";
  if (path.length > FILE_PATH_MAX) return `at most ${FILE_PATH_MAX} characters`;
  if (path.includes("\0")) return "contains NUL";
  if (path.includes("\\")) return "contains a backslash (use /)";
  if (path.startsWith("/") || path.startsWith("~") || /^[A-Za-z]:/.test(path)) {
    return "must be relative to the root, not absolute";
  }
  if (path.split("/").some((segment) => segment === "..")) {
    return "must not contain a .. segment (it would leave the root)";
  }
  return undefined;
}

/** Checks a file target; every rejection is InvalidArgument naming `field.<name>`. */
export function validateFileTarget(t: FileTarget, field: string): void {
  if (!ROOT_NAME.test(t.root)) {
    throw invalidArgument(`${field}.root`, "must be 1 to 64 of a-z, 0-9 and -");
  }
  if (t.sources.length === 0) throw invalidArgument(`${field}.sources`, "at least one pattern");
  if (t.sources.length > FILE_SOURCES_MAX) {
    throw invalidArgument(`${field}.sources`, `at most ${FILE_SOURCES_MAX} patterns`);
  }
  t.sources.forEach((source, i) => {
    const problem = relativePathProblem(source);
    if (problem) throw invalidArgument(`${field}.sources[${i}]`, problem);
  });
  const destination = `${field}.destination`;
  if (t.destination === undefined || t.destination === "") {
    if (t.operation === "COPY" || t.operation === "MOVE" || t.operation === "ARCHIVE") {
      throw invalidArgument(destination, `required for ${t.operation}`);
    }
  } else {
    if (t.operation === "DELETE") throw invalidArgument(destination, "not allowed for DELETE");
    const problem = relativePathProblem(t.destination);
    if (problem) throw invalidArgument(destination, problem);
    if (t.operation === "ARCHIVE" && !ARCHIVE_NAME.test(t.destination)) {
      throw invalidArgument(destination, "an archive's name ends in .tar.gz or .tgz");
    }
  }
  if (t.overwrite && t.operation === "DELETE") {
    throw invalidArgument(`${field}.overwrite`, "not allowed for DELETE");
  }
  if (!Number.isInteger(t.minAgeMs) || t.minAgeMs < 0 || t.minAgeMs > FILE_MIN_AGE_MAX_MS) {
    throw invalidArgument(`${field}.min_age`, "must be 0 to 10 years");
  }
  if (!Number.isFinite(t.timeoutMs) || t.timeoutMs <= 0 || t.timeoutMs > FILE_TIMEOUT_MAX_MS) {
    throw invalidArgument(
      `${field}.timeout`,
      `must be positive, at most ${FILE_TIMEOUT_MAX_MS / 1000} s`,
    );
  }
}

/** `name=/absolute/dir` entries of CHRONORING_FILE_ROOTS → name → dir; throws on a malformed entry. */
export function parseFileRoots(entries: string[]): Record<string, string> {
  const roots: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf("=");
    const name = entry.slice(0, at);
    const dir = entry.slice(at + 1);
    if (at < 0 || !ROOT_NAME.test(name)) {
      throw new Error(
        `file root "${entry}": expected name=/absolute/dir, name 1 to 64 of a-z, 0-9, -`,
      );
    }
    if (!dir.startsWith("/") || dir.includes("\0")) {
      throw new Error(`file root "${name}": "${dir}" is not an absolute directory`);
    }
    if (Object.hasOwn(roots, name)) throw new Error(`file root "${name}" given twice`);
    roots[name] = dir;
  }
  return roots;
}
