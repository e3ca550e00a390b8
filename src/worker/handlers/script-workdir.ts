/**
 * Each run gets its own working directory, also its HOME and TMPDIR: created
 * empty (mode 0700) under the worker's temp directory, owned by the user the
 * script runs as, and removed when the run ends. A run sees no other run's
 * files, and leaves nothing behind for the next.
 *
 * When the script ran as another user, the directory is emptied as that user
 * (`rm -rf` started with its uid), never by root: a process the script left
 * behind could swap a directory for a symlink while root walks the tree, and
 * make root delete what the link points to. Root then only removes the
 * directory itself if it is empty.
 */
import { spawn } from "node:child_process";
import { chown, mkdtemp, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { SCRIPT_PATH } from "./script-env.js";

/** Who a script runs as; absent: the worker's own user. */
export interface RunAs {
  uid: number;
  gid: number;
}

/** Creates a run's directory under `root`, owned by `user`. */
export async function createWorkDir(root: string, user: RunAs | undefined): Promise<string> {
  const dir = await mkdtemp(join(root, "chronoring-run-"));
  if (user !== undefined) {
    try {
      await chown(dir, user.uid, user.gid);
    } catch (err) {
      await rmdir(dir).catch(() => {});
      throw err;
    }
  }
  return dir;
}

/** Removes a run's directory and what the script left in it; logs what it could not remove. */
export async function removeWorkDir(
  dir: string,
  user: RunAs | undefined,
  logger: Logger,
): Promise<void> {
  try {
    if (user === undefined) {
      await rm(dir, { recursive: true, force: true });
      return;
    }
    await removeAs(dir, user);
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  } catch (err) {
    logger.warn({ err, dir }, "could not remove a script's working directory");
  }
}

function removeAs(dir: string, user: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("rm", ["-rf", "--", dir], {
      uid: user.uid,
      gid: user.gid,
      env: { PATH: SCRIPT_PATH },
      cwd: "/",
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 1000) stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`rm -rf exited ${code}: ${stderr.trim()}`)),
    );
  });
}
