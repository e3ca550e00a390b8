/**
 * Runs `chronoring` as a user does, in a child process, with CHRONORING_URL
 * and CHRONORING_TOKEN as given (the test runner's own are not passed on), and
 * reports its exit code and output. It runs the CLI bundled from the sources at
 * the run's start (test/support/cli-bundle.ts: the same code, started in half
 * the time), or `bin/chronoring.mjs` itself with `bin: true` or where no
 * bundle was built.
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { resolve } from "node:path";
import { inject } from "vitest";

export const ROOT = resolve(import.meta.dirname, "../..");
const BIN = resolve(ROOT, "bin/chronoring.mjs");

function entry(o: CliOptions): string {
  return o.bin ? BIN : (inject("cliEntry") ?? BIN);
}

export interface CliOptions {
  url?: string;
  token?: string;
  /** Working directory (default the repository root). */
  cwd?: string;
  /** More environment (COLUMNS, ...). */
  env?: Record<string, string>;
  /** Written to stdin. */
  input?: string;
  /** Run `bin/chronoring.mjs` (the sources under tsx), not the bundle. */
  bin?: boolean;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function childEnv(o: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  delete env.CHRONORING_URL;
  delete env.CHRONORING_TOKEN;
  delete env.COLUMNS;
  if (o.url !== undefined) env.CHRONORING_URL = o.url;
  if (o.token !== undefined) env.CHRONORING_TOKEN = o.token;
  return { ...env, ...o.env };
}

/** Runs the CLI to its end. */
export function cli(args: string[], o: CliOptions = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = execFile(
      process.execPath,
      [entry(o), ...args],
      { cwd: o.cwd ?? ROOT, env: childEnv(o), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        if (typeof code !== "number") return fail(err);
        done({ code, stdout, stderr });
      },
    );
    child.stdin?.end(o.input ?? "");
  });
}

/** `cli`, failing with its stderr unless it exited 0; returns stdout. */
export async function cliOk(args: string[], o: CliOptions = {}): Promise<string> {
  const r = await cli(args, o);
  if (r.code !== 0) {
    throw new Error(`chronoring ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/** `cli ... --json`, parsed. */
export async function cliJson<T = Record<string, unknown>>(
  args: string[],
  o: CliOptions = {},
): Promise<T> {
  return JSON.parse(await cliOk([...args, "--json"], o)) as T;
}

/** A long-running CLI (`runs watch`): its output so far, and how it ended. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function spawnCli(args: string[], o: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [entry(o), ...args], {
    cwd: o.cwd ?? ROOT,
    env: childEnv(o),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((done) =>
    child.on("exit", (code, signal) => done(code ?? signal ?? -1)),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}
