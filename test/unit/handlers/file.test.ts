/**
 * The file handler on real files in a temporary root: each operation, what
 * the result lists, refusals that change nothing, and hostile symbolic links
 * (out of the root, into /etc, as the destination, as a pattern's directory).
 */

import { createHash } from "node:crypto";
import { existsSync, lstatSync } from "node:fs";
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { list as listTar } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileTarget } from "../../../src/core/file-target.js";
import { createFileHandler } from "../../../src/worker/handlers/file.js";
import type { RunContext } from "../../../src/worker/handlers/registry.js";

function context(signal = new AbortController().signal): RunContext {
  return {
    executionId: "job_1:0:1",
    jobId: "job_1",
    scheduledMs: 0,
    attempt: 1,
    signal,
    logger: pino({ level: "silent" }),
  };
}

let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "file-job-"));
  root = join(base, "root");
  outside = join(base, "outside");
  await mkdir(join(root, "in", "sub"), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, "in", "a.csv"), "a,1\n");
  await writeFile(join(root, "in", "b.csv"), "b,22\n");
  await writeFile(join(root, "in", "c.txt"), "c");
  await writeFile(join(root, "in", ".hidden.csv"), "h");
  await writeFile(join(root, "in", "sub", "d.csv"), "d,333\n");
  await writeFile(join(outside, "secret.csv"), "secret");
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const handler = () => createFileHandler({ roots: { data: root } });
const target = (t: Partial<FileTarget>): FileTarget => ({
  type: "file",
  operation: "COPY",
  root: "data",
  sources: ["in/*.csv"],
  overwrite: false,
  minAgeMs: 0,
  timeoutMs: 10_000,
  ...t,
});
const run = (t: Partial<FileTarget>) => handler().run(target(t), context());
const ls = async (rel: string) => (await readdir(join(root, rel))).sort();

describe("operations", () => {
  it("COPY copies the matched files (not dot files, not deeper ones) and lists them", async () => {
    const result = await run({ destination: "archive/today" });
    expect(result).toEqual({
      ok: true,
      summary: "copied 2 file(s) (9 B) to archive/today\nin/a.csv\nin/b.csv",
    });
    expect(await ls("archive/today")).toEqual(["a.csv", "b.csv"]);
    expect(await readFile(join(root, "archive/today/b.csv"), "utf8")).toBe("b,22\n");
    expect(await ls("in")).toContain("a.csv");
  });

  it("COPY onto existing files is refused before anything changes, and done with overwrite", async () => {
    await mkdir(join(root, "out"));
    await writeFile(join(root, "out", "b.csv"), "old");
    const refused = await run({ destination: "out" });
    expect(refused).toEqual({
      ok: false,
      summary: "refused: out/b.csv exists (set overwrite to replace it)",
      retryable: false,
    });
    expect(await ls("out")).toEqual(["b.csv"]);
    expect((await run({ destination: "out", overwrite: true })).ok).toBe(true);
    expect(await readFile(join(root, "out", "b.csv"), "utf8")).toBe("b,22\n");
  });

  it("two sources with one name are refused", async () => {
    await writeFile(join(root, "in", "sub", "a.csv"), "other");
    const result = await run({ sources: ["in/**/a.csv"], destination: "out" });
    expect(result.summary).toBe("refused: in/a.csv and in/sub/a.csv would both be out/a.csv");
    expect(existsSync(join(root, "out"))).toBe(false);
  });

  it("MOVE moves, and its retry finds nothing left to move", async () => {
    expect(
      (await run({ operation: "MOVE", sources: ["in/**/*.csv"], destination: "done" })).summary,
    ).toBe("moved 3 file(s) (15 B) to done\nin/a.csv\nin/b.csv\nin/sub/d.csv");
    expect(await ls("done")).toEqual(["a.csv", "b.csv", "d.csv"]);
    expect(await ls("in")).toEqual([".hidden.csv", "c.txt", "sub"]);
    expect(
      (await run({ operation: "MOVE", sources: ["in/**/*.csv"], destination: "done" })).summary,
    ).toBe("moved 0 file(s) (0 B) to done");
  });

  it("DELETE with min_age removes only the old files", async () => {
    const old = new Date(Date.now() - 8 * 86_400_000);
    await utimes(join(root, "in", "a.csv"), old, old);
    const result = await run({ operation: "DELETE", minAgeMs: 7 * 86_400_000 });
    expect(result).toEqual({ ok: true, summary: "deleted 1 file(s) (4 B)\nin/a.csv" });
    expect(await ls("in")).toEqual([".hidden.csv", "b.csv", "c.txt", "sub"]);
  });

  it("ARCHIVE writes a .tar.gz named by paths under the root, never over an existing one", async () => {
    const result = await run({
      operation: "ARCHIVE",
      sources: ["in/**"],
      destination: "backups/in.tar.gz",
    });
    expect(result.summary).toBe(
      "archived 4 file(s) (16 B) into backups/in.tar.gz\nin/a.csv\nin/b.csv\nin/c.txt\nin/sub/d.csv",
    );
    const entries: string[] = [];
    await listTar({
      file: join(root, "backups/in.tar.gz"),
      onReadEntry: (e) => entries.push(e.path),
    });
    expect(entries.sort()).toEqual(["in/a.csv", "in/b.csv", "in/c.txt", "in/sub/d.csv"]);
    expect(await ls("backups")).toEqual(["in.tar.gz"]);
    const again = await run({
      operation: "ARCHIVE",
      sources: ["in/**"],
      destination: "backups/in.tar.gz",
    });
    expect(again.summary).toBe("refused: backups/in.tar.gz exists (set overwrite to replace it)");
  });

  it("CHECKSUM lists sha256sum lines and writes them to a file when asked", async () => {
    const sum = (s: string) => createHash("sha256").update(s).digest("hex");
    const result = await run({ operation: "CHECKSUM", destination: "SHA256SUMS" });
    const lines = [`${sum("a,1\n")}  in/a.csv`, `${sum("b,22\n")}  in/b.csv`];
    expect(result.summary).toBe(["sha256 of 2 file(s) (9 B) into SHA256SUMS", ...lines].join("\n"));
    expect(await readFile(join(root, "SHA256SUMS"), "utf8")).toBe(`${lines.join("\n")}\n`);
  });

  it("a root the worker does not have fails the run, permanently", async () => {
    const result = await handler().run(target({ root: "elsewhere", destination: "x" }), context());
    expect(result).toEqual({
      ok: false,
      summary: 'refused: root "elsewhere" is not in this worker\'s CHRONORING_FILE_ROOTS',
      retryable: false,
    });
  });

  it("a run aborted before it starts is retryable and changes nothing", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await handler().run(target({ operation: "DELETE" }), context(controller.signal));
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(await ls("in")).toContain("a.csv");
  });
});

describe("hostile symbolic links", () => {
  it("a matched link out of the root fails the run before anything is copied", async () => {
    await symlink(join(outside, "secret.csv"), join(root, "in", "evil.csv"));
    const result = await run({ destination: "out" });
    expect(result).toEqual({
      ok: false,
      summary: "refused: in/evil.csv is a symbolic link leading out of the root (or nowhere)",
      retryable: false,
    });
    expect(existsSync(join(root, "out"))).toBe(false);
  });

  it("a matched link that stays in the root is skipped and reported", async () => {
    await symlink(join(root, "in", "a.csv"), join(root, "in", "alias.csv"));
    const result = await run({ operation: "DELETE" });
    expect(result.summary).toBe(
      "deleted 2 file(s) (9 B); skipped 1 symbolic link(s): in/alias.csv\nin/a.csv\nin/b.csv",
    );
    expect(lstatSync(join(root, "in", "alias.csv")).isSymbolicLink()).toBe(true);
  });

  it("a pattern's directory that is a link (to /etc) is refused", async () => {
    await symlink("/etc", join(root, "etc"));
    const result = await run({ operation: "CHECKSUM", sources: ["etc/*"] });
    expect(result.summary).toBe("refused: etc is a symbolic link leading out of the root");
  });

  it("** never walks into a linked directory", async () => {
    await symlink(outside, join(root, "in", "sub", "escape"));
    const result = await run({ operation: "CHECKSUM", sources: ["in/**/*.csv"] });
    expect(result.ok).toBe(true);
    expect(result.summary).not.toMatch(/secret/);
    expect(result.summary).toMatch(/^sha256 of 3 file\(s\)/);
  });

  it("a destination directory that is a link is refused; nothing is written through it", async () => {
    await symlink(outside, join(root, "out"));
    const result = await run({ destination: "out" });
    expect(result.summary).toBe("refused: out is a symbolic link leading out of the root");
    expect(await readdir(outside)).toEqual(["secret.csv"]);
  });

  it("a destination file that is a link is refused, even with overwrite", async () => {
    await symlink(join(outside, "secret.csv"), join(root, "in.tar.gz"));
    const result = await run({
      operation: "ARCHIVE",
      destination: "in.tar.gz",
      overwrite: true,
    });
    expect(result.summary).toBe(
      "refused: in.tar.gz is a symbolic link: file jobs never write through links",
    );
    expect(await readFile(join(outside, "secret.csv"), "utf8")).toBe("secret");
  });

  it("a root configured through a link works on its real directory", async () => {
    await symlink(root, join(base, "root-link"));
    const viaLink = createFileHandler({ roots: { data: join(base, "root-link") } });
    const result = await viaLink.run(target({ operation: "CHECKSUM" }), context());
    expect(result.ok).toBe(true);
  });
});
