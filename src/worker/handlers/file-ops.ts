/**
 * The file operations of a file job, on files `file-paths.ts` found. Sources
 * are opened with O_NOFOLLOW, so a file swapped for a link after the walk is
 * refused rather than followed. New files are written under a temporary name
 * in their directory and then put in place: without `overwrite` by link(2),
 * which refuses an existing name atomically; with it by rename(2), which
 * replaces a file (or a link, never what it points to).
 */

import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { create as createTar } from "tar";
import { FileRefusal, type FoundFile, walkDirectory } from "./file-paths.js";

const { O_RDONLY, O_NOFOLLOW, O_WRONLY, O_CREAT, O_EXCL } = constants;

/** Opens a found file for reading, refusing it if it has become a link. */
async function openSource(file: FoundFile) {
  try {
    return await open(file.abs, O_RDONLY | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP") {
      throw new FileRefusal(`${file.rel} became a symbolic link`);
    }
    throw err;
  }
}

/** The directory `rel` under `root`, created when missing; refuses links and non-directories on the way. */
export async function ensureDirectory(root: string, rel: string): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await walkDirectory(root, rel);
    if (dir.missing.length === 0) return dir.abs;
    let at = dir.abs;
    for (let i = 0; i < dir.missing.length; i++) at = dirname(at);
    try {
      for (const part of dir.missing) {
        at = join(at, part);
        await mkdir(at);
      }
    } catch (err) {
      // Made meanwhile (another run): walk again, checking what is there.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return (await walkDirectory(root, rel)).abs;
}

/** Writes a new file at `dest` through a temporary name; refuses an existing one unless `overwrite`. */
export async function writeFile(
  dest: string,
  shown: string,
  overwrite: boolean,
  write: (out: Writable) => Promise<void>,
): Promise<void> {
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString("hex")}.partial`);
  const handle = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try {
    await write(handle.createWriteStream());
    if (overwrite) {
      await rename(tmp, dest);
      return;
    }
    try {
      await link(tmp, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") {
        throw new FileRefusal(`${shown} exists (set overwrite to replace it)`);
      }
      throw err;
    }
  } finally {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
  }
}

export async function copyFile(
  file: FoundFile,
  dest: string,
  shown: string,
  overwrite: boolean,
  signal: AbortSignal,
): Promise<void> {
  const source = await openSource(file);
  try {
    await writeFile(dest, shown, overwrite, (out) =>
      pipeline(source.createReadStream({ autoClose: false }), out, { signal }),
    );
  } finally {
    await source.close();
  }
}

export async function moveFile(
  file: FoundFile,
  dest: string,
  shown: string,
  overwrite: boolean,
  signal: AbortSignal,
): Promise<void> {
  try {
    if (overwrite) {
      await rename(file.abs, dest);
    } else {
      // link(2) refuses an existing name atomically; the source goes once linked.
      await link(file.abs, dest);
      await unlink(file.abs);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new FileRefusal(`${shown} exists (set overwrite to replace it)`);
    if (code !== "EXDEV") throw err;
    // Another filesystem: copy, then remove the source.
    await copyFile(file, dest, shown, overwrite, signal);
    await unlink(file.abs);
  }
}

/** A .tar.gz of `files`, entries named by their path under `root`; links are stored as links, never followed. */
export async function archive(
  root: string,
  files: FoundFile[],
  dest: string,
  shown: string,
  overwrite: boolean,
  signal: AbortSignal,
): Promise<void> {
  await writeFile(dest, shown, overwrite, (out) =>
    pipeline(
      createTar(
        { gzip: true, cwd: root, portable: true, follow: false, noDirRecurse: true },
        files.map((f) => f.rel),
      ),
      out,
      { signal },
    ),
  );
}

export async function sha256(file: FoundFile, signal: AbortSignal): Promise<string> {
  const source = await openSource(file);
  try {
    const hash = createHash("sha256");
    await pipeline(source.createReadStream({ autoClose: false }), hash, { signal });
    return hash.digest("hex");
  } finally {
    await source.close();
  }
}
