/**
 * The CLI the tests run: `src/cli/main.ts` bundled by esbuild once per test
 * run, from the sources as they are at its start (test/support/global-setup.ts).
 *
 * Why not `bin/chronoring.mjs`: in a checkout that runs the sources through tsx,
 * and a start there costs 0.53 s and 0.71 CPU-s; the bundle starts in 0.24 s and
 * 0.30 CPU-s. About fifty test files run the CLI, several hundred times in all, on
 * a 2-core machine. The code is the same: tsx transforms each file with esbuild as
 * well. The lazy imports stay lazy (one chunk per dynamic import), so a command
 * loads what it loads under tsx. One test runs `bin/chronoring.mjs` itself
 * (test/integration/cli/errors.test.ts).
 */

import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { isAlive } from "../../deploy/local/process.js";

const ROOT = resolve(import.meta.dirname, "../..");
/** Inside the checkout's node_modules, which git ignores. */
const CACHE = join(ROOT, "node_modules/.cache/chronoring-test-cli");

/** Bundles the CLI into a folder of this process's own; returns its entry file. */
export async function buildCliBundle(): Promise<{ entry: string; remove: () => void }> {
  removeStale();
  const dir = join(CACHE, String(process.pid));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, "src/cli/main.ts")],
    outdir: dir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    // Packages bundled too: loading theirs file by file from node_modules was 0.2 s of
    // the 0.46 s a start took with them external. CommonJS packages' require of Node's
    // modules goes through this require.
    banner: {
      js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
    },
    // Loaded by a dynamic import: esbuild gives such a CommonJS chunk a default export
    // only, where Node gives its named ones as well (`(await import("yaml")).parse`).
    external: ["yaml"],
    logLevel: "error",
  });
  return {
    entry: join(dir, "main.js"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Folders of test runs that have ended (their process is gone). */
function removeStale(): void {
  if (!existsSync(CACHE)) return;
  for (const name of readdirSync(CACHE)) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    rmSync(join(CACHE, name), { recursive: true, force: true });
  }
}
