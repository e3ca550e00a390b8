/**
 * A worker running as root runs scripts as an unprivileged user, in a working
 * directory of their own that is removed afterwards. Needs root (the
 * worker here does run as root); the working-directory tests run as any user.
 */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";
import { context, isRoot, RUN_AS, script } from "./script-support.js";

const SH = "/bin/sh";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chronoring-script-user-"));
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!isRoot)("script handler under a root worker: the unprivileged user", () => {
  const handler = createScriptHandler({ allowList: [SH], user: RUN_AS });
  const sh = (body: string, env: Record<string, string> = {}) =>
    handler.run(script(SH, ["-c", body], env), context());

  it("runs the script as the user's uid and gid, without supplementary groups or new privileges", async () => {
    // no_new_privs: no set-user-ID program gives back what the switch took away.
    const result = await sh(
      "id -u; id -g; grep -E '^(Groups|NoNewPrivs):' /proc/self/status | tr -d ' \t'",
    );
    expect(RUN_AS!.uid).not.toBe(0);
    expect(result).toEqual({
      ok: true,
      summary: `exit 0\n${RUN_AS!.uid}\n${RUN_AS!.gid}\nGroups:\nNoNewPrivs:1\n`,
    });
  });

  it("cannot write a file root owns", async () => {
    const file = join(dir, "root-owned");
    await writeFile(file, "root's\n", { mode: 0o644 });
    const result = await sh('echo changed >> "$TARGET"', { TARGET: file });
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/^exit \d+\n.*Permission denied/s);
    expect(await readFile(file, "utf8")).toBe("root's\n");
  });

  it("cannot signal the worker", async () => {
    const result = await sh(`kill -TERM ${process.pid}`);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/Operation not permitted/);
  });
});

describe("script handler: each run's working directory", () => {
  const handler = createScriptHandler({ allowList: [SH], user: RUN_AS });

  it("is a fresh directory the script's user owns (0700), also its HOME and TMPDIR, removed afterwards", async () => {
    const body = [
      "pwd",
      'stat -c "%u %g %a" .',
      'echo "$HOME $TMPDIR"',
      "ls -A | wc -l",
      // Left behind on purpose, with a subdirectory only its owner may enter.
      "mkdir -p left/behind && touch left/behind/file && chmod 700 left",
    ].join("; ");
    const first = await handler.run(script(SH, ["-c", body]), context());
    const second = await handler.run(script(SH, ["-c", body]), context());
    expect(first.ok).toBe(true);
    const [, cwd, owner, homes, entries] = first.summary.split("\n");
    const uid = RUN_AS?.uid ?? process.getuid?.();
    const gid = RUN_AS?.gid ?? process.getgid?.();
    expect(owner).toBe(`${uid} ${gid} 700`);
    expect(homes).toBe(`${cwd} ${cwd}`);
    expect(entries?.trim()).toBe("0");
    expect(second.summary.split("\n")[1]).not.toBe(cwd);
    await expect(stat(cwd!)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("is removed when the run times out", async () => {
    const quick = createScriptHandler({ allowList: [SH], user: RUN_AS, killGraceMs: 200 });
    const result = await quick.run(
      { ...script(SH, ["-c", "pwd; touch file; sleep 30"]), timeoutMs: 300 },
      context(),
    );
    expect(result.summary).toMatch(/timed out/);
    const cwd = result.summary.split("\n")[1]!;
    expect(cwd).toMatch(/chronoring-run-/);
    await expect(stat(cwd)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("fails the run, retryable, when it cannot be created", async () => {
    const broken = createScriptHandler({
      allowList: [SH],
      user: RUN_AS,
      workRoot: join(dir, "no-such-dir"),
    });
    const result = await broken.run(script(SH, ["-c", "echo ran"]), context());
    expect(result).toEqual({
      ok: false,
      retryable: true,
      summary: expect.stringMatching(/^could not create a working directory: ENOENT/),
    });
  });
});
