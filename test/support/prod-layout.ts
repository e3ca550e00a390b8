import { execFile, execFileSync, type SpawnSyncReturns, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { type ChronoringLaunch, NODE_FLAGS } from "../../deploy/local/chronoring-process.js";

const ROOT = resolve(import.meta.dirname, "../..");
/** The production install, as the Dockerfile's deps stage runs it (a unit test checks). */
export const PROD_INSTALL = ["ci", "--omit=dev", "--ignore-scripts"];
/** The user the app runs as when this runs as root: any non-root one with no home to write. */
const NOBODY = 65534;

/**
 * The production layout as the Dockerfile's runtime stage makes it (keep the two alike):
 * package.json and package-lock.json in an empty folder, `npm ci --omit=dev --ignore-scripts`,
 * then the built dist/ (`npm run build`). The app folder is then made read-only
 * (`chmod -R a-w`), and the app runs as `nobody` (setpriv) when this runs as root, with
 * TMPDIR and HOME in a folder of its own: the image's read-only root filesystem and /tmp volume.
 */
export interface ProdLayout {
  /** The app folder: dist/, package.json, the lock, node_modules/ (read-only). */
  app: string;
  /** The one folder the app may write to (TMPDIR, HOME). */
  tmp: string;
  /** "nobody" when the app runs as that user, else undefined (this process's user). */
  user: string | undefined;
  /** `node <NODE_FLAGS> dist/main.js` in the app folder, as the image's CMD. */
  launch(): ChronoringLaunch;
  /** `node dist/healthcheck.js` with these CHRONORING_* settings, as the image's HEALTHCHECK. */
  healthcheck(env: Record<string, string>): SpawnSyncReturns<string>;
  /** Paths under the app folder added, removed or changed (size, mtime) since it was made. */
  changes(): string[];
  remove(): void;
}

/** Fails unless dist/ was built after the last change to src/ and gen/. */
export function assertBuilt(): void {
  const entry = join(ROOT, "dist/main.js");
  if (!existsSync(entry)) throw new Error("no dist/main.js: run `npm run build` first");
  const built = statSync(entry).mtimeMs;
  for (const dir of ["src", "gen"]) {
    for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })) {
      if (statSync(join(ROOT, dir, file)).mtimeMs > built) {
        throw new Error(`dist/ is older than ${dir}/${file}: run \`npm run build\``);
      }
    }
  }
}

/** Makes the layout in a temp folder (npm ci takes a few seconds with a warm npm cache). */
export async function prodLayout(): Promise<ProdLayout> {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), "chronoring-prod-"));
  chmodSync(dir, 0o755);
  const app = join(dir, "app");
  const tmp = join(dir, "tmp");
  mkdirSync(app);
  mkdirSync(tmp);
  for (const file of ["package.json", "package-lock.json"])
    cpSync(join(ROOT, file), join(app, file));
  // npm as a build would run it: this node first on PATH, none of the outer npm's settings.
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  const npmEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")),
  );
  await promisify(execFile)(
    "npm",
    [...PROD_INSTALL, "--no-audit", "--no-fund", "--prefer-offline"],
    { cwd: app, env: { ...npmEnv, PATH: path }, timeout: 240_000 },
  );
  cpSync(join(ROOT, "dist"), join(app, "dist"), { recursive: true });
  execFileSync("chmod", ["-R", "a-w", app]);
  const before = snapshot(app);

  const asNobody = process.getuid?.() === 0 && canRunAsNobody(app);
  if (asNobody) chownSync(tmp, NOBODY, NOBODY);
  const prefix = asNobody
    ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"]
    : [];
  const env = { PATH: path, TMPDIR: tmp, HOME: tmp, NODE_ENV: "production" };
  const command = (script: string, flags: readonly string[] = []): [string, string[]] => {
    const argv = [...prefix, process.execPath, ...flags, script];
    return [argv[0]!, argv.slice(1)];
  };

  return {
    app,
    tmp,
    user: asNobody ? "nobody" : undefined,
    launch() {
      const [file, args] = command("dist/main.js", NODE_FLAGS);
      return { command: file, args, cwd: app, env };
    },
    healthcheck(settings) {
      const [file, args] = command("dist/healthcheck.js");
      return spawnSync(file, args, {
        cwd: app,
        env: { ...env, ...settings },
        encoding: "utf8",
        timeout: 30_000,
      });
    },
    changes() {
      const after = snapshot(app);
      const paths = new Set([...before.keys(), ...after.keys()]);
      return [...paths].filter((p) => before.get(p) !== after.get(p)).sort();
    },
    remove() {
      execFileSync("chmod", ["-R", "u+w", app]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether `nobody` can run this node on the app (not if node or the folder is out of its reach). */
function canRunAsNobody(app: string): boolean {
  const probe = spawnSync(
    "setpriv",
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"].concat(
      process.execPath,
      "-e",
      "require('node:fs').accessSync('dist/main.js')",
    ),
    { cwd: app, encoding: "utf8" },
  );
  if (probe.status === 0) return true;
  console.warn(
    `[prod-layout] cannot run as nobody (${probe.error?.message ?? probe.stderr.trim()}); running as this user`,
  );
  return false;
}

/** Every path under `dir` with its size and mtime (a directory's mtime moves when an entry is added). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string) => {
    const stat = lstatSync(path);
    out.set(relative(dir, path) || ".", `${stat.size}:${stat.mtimeMs}`);
    if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return out;
}
