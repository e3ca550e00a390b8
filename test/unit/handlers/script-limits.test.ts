/**
 * The script handler's resource limits, set through util-linux prlimit
 * (RLIMIT_CPU from the timeout, RLIMIT_NPROC, RLIMIT_DATA, no core), seen
 * from inside real scripts.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";
import { cpuLimitS, limitedArgv } from "../../../src/worker/handlers/script-limits.js";
import {
  context,
  eventually,
  hasPrlimit,
  NODE,
  node,
  RUN_AS,
  running,
  script,
} from "./script-support.js";

const SH = "/bin/sh";

describe("limitedArgv", () => {
  const limits = {
    setpriv: "/usr/bin/setpriv",
    prlimit: "/usr/bin/prlimit",
    memoryMb: 256,
    maxProcs: 64,
    killGraceMs: 2000,
  };

  it("wraps the command in setpriv and prlimit with CPU from the timeout, processes, data and no core", () => {
    expect(limitedArgv(limits, "report", ["--day", "today"], 59_001)).toEqual([
      "/usr/bin/setpriv",
      "--pdeathsig",
      "KILL",
      "--no-new-privs",
      "--",
      "/usr/bin/prlimit",
      "--cpu=63:64",
      "--nproc=64",
      `--data=${256 * 1024 * 1024}`,
      "--core=0",
      "--",
      "report",
      "--day",
      "today",
    ]);
  });

  it("leaves out a limit set to 0, but never the CPU limit or the core", () => {
    const argv = limitedArgv(
      { ...limits, setpriv: undefined, memoryMb: 0, maxProcs: 0 },
      "x",
      [],
      1000,
    );
    expect(argv).toEqual(["/usr/bin/prlimit", "--cpu=4:5", "--core=0", "--", "x"]);
  });

  it("runs the bare command when neither wrapper was found", () => {
    expect(
      limitedArgv({ ...limits, setpriv: undefined, prlimit: undefined }, "x", ["a"], 1000),
    ).toEqual(["x", "a"]);
  });

  it("gives RLIMIT_CPU the timeout in whole seconds, the kill grace and 1 s", () => {
    expect(cpuLimitS(1, 0)).toBe(2);
    expect(cpuLimitS(1000, 2000)).toBe(4);
    expect(cpuLimitS(3_600_000, 2000)).toBe(3603);
  });
});

/** `Max <name>` of a /proc/<pid>/limits text: [soft, hard]. */
function limitOf(text: string, name: string): [string, string] | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`Max ${name} `));
  const [soft, hard] = line?.slice(`Max ${name} `.length).trim().split(/\s+/) ?? [];
  return soft !== undefined && hard !== undefined ? [soft, hard] : undefined;
}

describe.skipIf(!hasPrlimit)("script handler: limits a script really has", () => {
  const escaped: number[] = [];
  afterEach(() => {
    for (const pid of escaped.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  });

  it("reads its CPU, process, data and core limits in /proc/self/limits", async () => {
    const handler = createScriptHandler({
      allowList: ["/bin/cat"],
      user: RUN_AS,
      memoryMb: 64,
      maxProcs: 100,
    });
    const result = await handler.run(
      { ...script("/bin/cat", ["/proc/self/limits"]), timeoutMs: 4500 },
      context(),
    );
    expect(result.ok).toBe(true);
    // 4.5 s → 5 s, + 2 s default grace + 1 s.
    expect(limitOf(result.summary, "cpu time")).toEqual(["8", "9"]);
    expect(limitOf(result.summary, "processes")).toEqual(["100", "100"]);
    expect(limitOf(result.summary, "data size")).toEqual([`${64 << 20}`, `${64 << 20}`]);
    expect(limitOf(result.summary, "core file size")).toEqual(["0", "0"]);
  });

  it("kills a busy loop that left the process group, which the timeout cannot reach (RLIMIT_CPU)", async () => {
    const handler = createScriptHandler({ allowList: [NODE], user: RUN_AS, killGraceMs: 0 });
    // A new session: neither the timeout's group signal nor the worker's death reaches it.
    const result = await handler.run(
      node(
        "const c = require('node:child_process').spawn(process.execPath, ['-e', 'for (;;) {}'], { detached: true, stdio: 'ignore' }); c.unref(); console.log(c.pid)",
        { timeoutMs: 1000 },
      ),
      context(),
    );
    expect(result.ok).toBe(true);
    const pid = Number(result.summary.split("\n")[1]);
    escaped.push(pid);
    expect(limitOf(readFileSync(`/proc/${pid}/limits`, "utf8"), "cpu time")).toEqual(["2", "3"]);
    // 2 s of CPU: SIGXCPU; it needs at least 2 s, more on a busy machine.
    expect(await eventually(() => !running(pid), 30_000)).toBe(true);
  }, 40_000);

  it("keeps a fork loop within maxProcs processes of the script's user (RLIMIT_NPROC)", async () => {
    const handler = createScriptHandler({ allowList: [SH], user: RUN_AS, maxProcs: 8 });
    // 40 background processes asked for, each holding its slot for 2 s; the shell counts as one.
    const body =
      "i=0; while [ $i -lt 40 ]; do (echo started; exec sleep 2) & i=$((i+1)); done; wait";
    const result = await handler.run(script(SH, ["-c", body]), context());
    const started = result.summary.split("\n").filter((l) => l === "started").length;
    expect(started).toBeLessThan(8);
    expect(result.summary).toMatch(/Cannot fork|Resource temporarily unavailable/);
  });

  describe.skipIf(!hasPrlimit)("memory cap (prlimit --data)", () => {
    const hog = (memoryMb: number) =>
      createScriptHandler({ allowList: ["dd", NODE], memoryMb, user: RUN_AS }).run(
        // dd allocates its whole block up front.
        {
          type: "script",
          command: "dd",
          args: ["if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"],
          env: {},
          timeoutMs: 10_000,
        },
        context(),
      );

    it("stops a process allocating beyond memoryMb", async () => {
      const result = await hog(64);
      expect(result.ok).toBe(false);
      expect(result.summary).toMatch(/^exit 1\n.*memory exhausted/s);
    });

    it("lets the same allocation run when the cap is 0 (disabled)", async () => {
      const result = await hog(0);
      expect(result.ok).toBe(true);
    });

    it("stops a node process whose allocations exceed the cap while node itself starts", async () => {
      // Node 24 itself needs about 580 MiB of RLIMIT_DATA (DEFAULT_SCRIPT_MEMORY_MB), Node 22
      // less: the 1 GiB it then allocates exceeds the cap on either.
      const capped = createScriptHandler({ allowList: [NODE], memoryMb: 768, user: RUN_AS });
      const result = await capped.run(
        node(
          "console.log('started'); const keep = []; for (let i = 0; i < 16; i++) keep.push(Buffer.alloc(64 * 1024 * 1024, 1)); console.log('survived')",
        ),
        context(),
      );
      expect(result.ok).toBe(false);
      expect(result.summary).toContain("started");
      expect(result.summary).not.toContain("survived");
    });

    it("reports an allow-listed command missing from PATH through prlimit's exit 127", async () => {
      const capped = createScriptHandler({
        allowList: ["chronoring-no-such-command"],
        user: RUN_AS,
      });
      const result = await capped.run(
        {
          type: "script",
          command: "chronoring-no-such-command",
          args: [],
          env: {},
          timeoutMs: 1000,
        },
        context(),
      );
      expect(result.ok).toBe(false);
      expect(result.summary).toMatch(
        /^exit 127\nprlimit: failed to execute chronoring-no-such-command/,
      );
    });
  });
});
