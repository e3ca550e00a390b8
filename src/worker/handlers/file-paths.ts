/**
 * Finding a file job's files without leaving its root. The root is resolved
 * once (realpath); a pattern's fixed directories must be real directories
 * under it, and the walk below them never enters a symbolic link. A matched
 * entry that is a symbolic link is not acted on: one pointing outside the
 * root fails the run, one pointing inside is reported as skipped. Opening
 * files with O_NOFOLLOW (file-ops.ts) keeps a link swapped in after the walk
 * from being followed.
 */

import { lstat, opendir, realpath } from "node:fs/promises";
import { join, sep } from "node:path";
import picomatch from "picomatch";
import { FILE_MATCH_MAX, relativePathProblem } from "../../core/file-target.js";

/** Entries looked at in one run, matched or not: bounds a walk of a huge tree. */
const VISIT_MAX = 200_000;

/** A refusal of the job as written or as the files are: the run fails, and a retry would not help. */
export class FileRefusal extends Error {}

export interface FoundFile {
  /** Relative to the root, with `/`. */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

export interface Found {
  files: FoundFile[];
  /** Matched symbolic links that stay in the root: not acted on. */
  skippedLinks: string[];
}

export function isInside(root: string, abs: string): boolean {
  return abs === root || abs.startsWith(root + sep);
}

/** The real directory of a root, refusing one that is missing or not a directory. */
export async function resolveRoot(name: string, roots: Record<string, string>): Promise<string> {
  const dir = Object.hasOwn(roots, name) ? roots[name] : undefined;
  if (dir === undefined) {
    throw new FileRefusal(`root "${name}" is not in this worker's CHRONORING_FILE_ROOTS`);
  }
  try {
    const real = await realpath(dir);
    if (!(await lstat(real)).isDirectory()) throw new Error("not a directory");
    return real;
  } catch (err) {
    throw new FileRefusal(`root "${name}" (${dir}) is not a directory: ${(err as Error).message}`);
  }
}

/**
 * The directory `rel` names under `root`, checked component by component:
 * every existing one must be a real directory (not a link); missing ones are
 * reported by `missing` (the caller creates them or finds nothing there).
 */
export async function walkDirectory(
  root: string,
  rel: string,
): Promise<{ abs: string; missing: string[] }> {
  const problem = relativePathProblem(rel);
  if (rel !== "" && rel !== "." && problem) throw new FileRefusal(`${rel}: ${problem}`);
  let abs = root;
  const parts = rel.split("/").filter((p) => p !== "" && p !== ".");
  for (let i = 0; i < parts.length; i++) {
    abs = join(abs, parts[i]!);
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        return { abs: join(abs, ...parts.slice(i + 1)), missing: parts.slice(i) };
      }
      throw err;
    }
    const shown = parts.slice(0, i + 1).join("/");
    if (info.isSymbolicLink()) {
      throw new FileRefusal(
        (await leadsOut(root, abs))
          ? `${shown} is a symbolic link leading out of the root`
          : `${shown} is a symbolic link: file jobs do not follow links`,
      );
    }
    if (!info.isDirectory()) throw new FileRefusal(`${shown} is not a directory`);
  }
  return { abs, missing: [] };
}

/** Every regular file under `root` matching one of `patterns`, sorted by path. */
export async function findFiles(
  root: string,
  patterns: string[],
  minAgeMs: number,
  nowMs: number,
  signal: AbortSignal,
): Promise<Found> {
  const byRel = new Map<string, FoundFile>();
  const skippedLinks = new Set<string>();
  let visited = 0;
  for (const pattern of patterns) {
    const scan = picomatch.scan(pattern);
    const isMatch = picomatch(pattern, { dot: false });
    // A pattern without glob characters names one file: its base is its directory.
    const baseRel = scan.isGlob ? scan.base : pattern.split("/").slice(0, -1).join("/");
    // Without `**` a match is exactly as deep as the pattern: no need to look deeper.
    const depth = pattern.includes("**") ? Number.POSITIVE_INFINITY : pattern.split("/").length;
    const base = await walkDirectory(root, baseRel);
    if (base.missing.length > 0) continue;
    const pending: Array<{ abs: string; rel: string; level: number }> = [
      { abs: base.abs, rel: baseRel, level: baseRel === "" ? 0 : baseRel.split("/").length },
    ];
    while (pending.length > 0) {
      signal.throwIfAborted();
      const dir = pending.pop()!;
      for await (const entry of await opendir(dir.abs)) {
        if (++visited > VISIT_MAX) {
          throw new FileRefusal(`more than ${VISIT_MAX} entries under the patterns' directories`);
        }
        const rel = dir.rel === "" ? entry.name : `${dir.rel}/${entry.name}`;
        const abs = join(dir.abs, entry.name);
        if (entry.isDirectory()) {
          if (dir.level + 1 < depth) pending.push({ abs, rel, level: dir.level + 1 });
          continue;
        }
        if (!isMatch(rel)) continue;
        if (entry.isSymbolicLink()) {
          await refuseEscape(root, abs, rel);
          skippedLinks.add(rel);
          continue;
        }
        if (!entry.isFile() || byRel.has(rel)) continue;
        const file = await fileInfo(abs, rel);
        if (file === undefined || nowMs - file.mtimeMs < minAgeMs) continue;
        byRel.set(rel, file);
        if (byRel.size > FILE_MATCH_MAX) {
          throw new FileRefusal(`more than ${FILE_MATCH_MAX} files match; narrow the patterns`);
        }
      }
    }
  }
  const files = [...byRel.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return { files, skippedLinks: [...skippedLinks].sort() };
}

async function refuseEscape(root: string, abs: string, rel: string): Promise<void> {
  if (await leadsOut(root, abs)) {
    throw new FileRefusal(`${rel} is a symbolic link leading out of the root (or nowhere)`);
  }
}

/** Whether the link at `abs` resolves outside `root`, or to nothing. */
async function leadsOut(root: string, abs: string): Promise<boolean> {
  const target = await realpath(abs).catch(() => undefined);
  return target === undefined || !isInside(root, target);
}

async function fileInfo(abs: string, rel: string): Promise<FoundFile | undefined> {
  try {
    const info = await lstat(abs);
    if (!info.isFile()) return undefined;
    return { rel, abs, size: info.size, mtimeMs: info.mtimeMs };
  } catch (err) {
    // Gone since the directory was read (another run moved it): not ours to act on.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
