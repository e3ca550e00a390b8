/**
 * The file handler: copy, move, delete, archive (tar.gz) or checksum the
 * files a job's patterns match under one of the worker's roots
 * (CHRONORING_FILE_ROOTS). Everything that can be checked before a change is
 * (the files, the destination, names that would collide or be replaced), so
 * a refused run changes nothing; a run that fails midway reports what it had
 * done, and its retry finds what is left (a moved or deleted file no longer
 * matches).
 */

import { lstat, unlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { type Clock, systemClock } from "../../core/clock.js";
import type { FileTarget } from "../../core/file-target.js";
import { archive, copyFile, ensureDirectory, moveFile, sha256, writeFile } from "./file-ops.js";
import { FileRefusal, type FoundFile, findFiles, resolveRoot } from "./file-paths.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";
import { linkDeadline } from "./http.js";
import { DEFAULT_MAX_OUTPUT_BYTES, utf8Prefix } from "./truncate.js";

/** Errors a later attempt may not meet: the disk or the system was busy. */
const TRANSIENT = new Set([
  "EAGAIN",
  "EBUSY",
  "EMFILE",
  "ENFILE",
  "EIO",
  "ENOSPC",
  "ETIMEDOUT",
  "EINTR",
]);

export interface FileHandlerOptions {
  /** Root name → directory (CHRONORING_FILE_ROOTS). */
  roots: Record<string, string>;
  maxOutputBytes?: number;
  /** The job's timeout and `min_age`'s "now" run on it. Default the system clock. */
  clock?: Clock;
}

export function createFileHandler(options: FileHandlerOptions): JobHandler<FileTarget> {
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const clock = options.clock ?? systemClock;
  return {
    type: "file",
    async run(target, ctx) {
      if (target.type !== "file") throw new TypeError(`file handler got a ${target.type} target`);
      const deadline = linkDeadline(ctx.signal, target.timeoutMs, clock);
      const done: string[] = [];
      try {
        const head = await runOperation(target, options.roots, clock.now(), deadline.signal, done);
        return { ok: true, summary: summary(head, done, maxBytes) };
      } catch (err) {
        return failure(err, target, ctx, done, maxBytes);
      } finally {
        deadline.dispose();
      }
    },
  };
}

async function runOperation(
  t: FileTarget,
  roots: Record<string, string>,
  nowMs: number,
  signal: AbortSignal,
  done: string[],
): Promise<string> {
  const root = await resolveRoot(t.root, roots);
  const found = await findFiles(root, t.sources, t.minAgeMs, nowMs, signal);
  const skipped = found.skippedLinks.length
    ? `; skipped ${found.skippedLinks.length} symbolic link(s): ${found.skippedLinks.join(", ")}`
    : "";
  let files = found.files;
  const bytes = (list: FoundFile[]) => sizeText(list.reduce((sum, f) => sum + f.size, 0));
  switch (t.operation) {
    case "DELETE": {
      for (const file of files) {
        signal.throwIfAborted();
        await unlinkFound(file);
        done.push(file.rel);
      }
      return `deleted ${files.length} file(s) (${bytes(files)})${skipped}`;
    }
    case "COPY":
    case "MOVE": {
      const destDir = t.destination!;
      const names = new Map<string, string>();
      for (const file of files) {
        const name = basename(file.rel);
        const other = names.get(name);
        if (other !== undefined) {
          throw new FileRefusal(`${other} and ${file.rel} would both be ${destDir}/${name}`);
        }
        names.set(name, file.rel);
      }
      const dir = files.length > 0 ? await ensureDirectory(root, destDir) : undefined;
      files = files.filter((f) => join(dir ?? "", basename(f.rel)) !== f.abs);
      // Checked before anything changes: names taken by links or directories, and
      // (without overwrite) by files.
      for (const file of files) {
        const shown = `${destDir}/${basename(file.rel)}`;
        if ((await refuseNonFile(join(dir!, basename(file.rel)), shown)) && !t.overwrite) {
          throw new FileRefusal(`${shown} exists (set overwrite to replace it)`);
        }
      }
      for (const file of files) {
        signal.throwIfAborted();
        const shown = `${destDir}/${basename(file.rel)}`;
        const dest = join(dir!, basename(file.rel));
        if (t.operation === "COPY") await copyFile(file, dest, shown, t.overwrite, signal);
        else await moveFile(file, dest, shown, t.overwrite, signal);
        done.push(file.rel);
      }
      const verb = t.operation === "COPY" ? "copied" : "moved";
      return `${verb} ${files.length} file(s) (${bytes(files)}) to ${destDir}${skipped}`;
    }
    case "ARCHIVE": {
      const dest = await destinationFile(root, t.destination!);
      files = files.filter((f) => f.abs !== dest);
      if (files.length === 0) return `nothing to archive${skipped}`;
      if (!t.overwrite && (await refuseNonFile(dest, t.destination!))) {
        throw new FileRefusal(`${t.destination} exists (set overwrite to replace it)`);
      }
      await archive(root, files, dest, t.destination!, t.overwrite, signal);
      done.push(...files.map((f) => f.rel));
      return `archived ${files.length} file(s) (${bytes(files)}) into ${t.destination}${skipped}`;
    }
    case "CHECKSUM": {
      const dest = t.destination ? await destinationFile(root, t.destination) : undefined;
      files = files.filter((f) => f.abs !== dest);
      const lines: string[] = [];
      for (const file of files) {
        lines.push(`${await sha256(file, signal)}  ${file.rel}`);
      }
      if (dest !== undefined) {
        await writeFile(dest, t.destination!, t.overwrite, async (out) => {
          out.end(lines.map((l) => `${l}\n`).join(""));
          await new Promise((resolve, reject) => out.once("finish", resolve).once("error", reject));
        });
      }
      done.push(...lines);
      const into = dest !== undefined ? ` into ${t.destination}` : "";
      return `sha256 of ${files.length} file(s) (${bytes(files)})${into}${skipped}`;
    }
  }
}

/** The absolute path of a destination file, its directory created when missing; never a link or directory. */
async function destinationFile(root: string, rel: string): Promise<string> {
  const parts = rel.split("/");
  const name = parts.pop()!;
  const dir = parts.length > 0 ? await ensureDirectory(root, parts.join("/")) : root;
  const abs = join(dir, name);
  await refuseNonFile(abs, rel);
  return abs;
}

/** Refuses a destination name held by a link or a directory (missing is fine); true when a file holds it. */
async function refuseNonFile(abs: string, rel: string): Promise<boolean> {
  try {
    const info = await lstat(abs);
    if (info.isSymbolicLink()) {
      throw new FileRefusal(`${rel} is a symbolic link: file jobs never write through links`);
    }
    if (!info.isFile()) throw new FileRefusal(`${rel} exists and is not a regular file`);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

async function unlinkFound(file: FoundFile): Promise<void> {
  try {
    await unlink(file.abs);
  } catch (err) {
    // Gone meanwhile: what the run was asked for.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

function failure(
  err: unknown,
  t: FileTarget,
  ctx: RunContext,
  done: string[],
  maxBytes: number,
): HandlerResult {
  const partly = done.length > 0 ? `; done before it: ${done.length}` : "";
  if (err instanceof FileRefusal) {
    return {
      ok: false,
      summary: summary(`refused: ${err.message}${partly}`, done, maxBytes),
      retryable: false,
    };
  }
  if (ctx.signal.aborted) {
    return { ok: false, summary: summary(`aborted${partly}`, done, maxBytes), retryable: true };
  }
  const e = err as NodeJS.ErrnoException;
  if (e.name === "TimeoutError" || e.name === "AbortError") {
    return {
      ok: false,
      summary: summary(`timed out after ${t.timeoutMs} ms${partly}`, done, maxBytes),
      retryable: true,
    };
  }
  const code = e.code ?? "";
  return {
    ok: false,
    summary: summary(`${t.operation.toLowerCase()} failed: ${e.message}${partly}`, done, maxBytes),
    retryable: TRANSIENT.has(code),
  };
}

/** `head`, then the files one per line, cut to `maxBytes` with a count of what was left out. */
function summary(head: string, lines: string[], maxBytes: number): string {
  let text = head;
  let shown = 0;
  for (const line of lines) {
    const next = `${text}\n${line}`;
    if (Buffer.byteLength(next) > maxBytes - 40) break;
    text = next;
    shown++;
  }
  if (shown < lines.length) text += `\n… and ${lines.length - shown} more`;
  return new TextDecoder().decode(utf8Prefix(new TextEncoder().encode(text), maxBytes));
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
