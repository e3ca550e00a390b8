/** The script handler's resource limits, set through util-linux prlimit. */
import { describe, expect, it } from "vitest";
import { createScriptHandler } from "../../../src/worker/handlers/script.js";
import { context, hasPrlimit, NODE, node } from "./script-support.js";

describe("script handler: resource limits", () => {
  describe.skipIf(!hasPrlimit)("memory cap (prlimit --data)", () => {
    const hog = (memoryMb: number) =>
      createScriptHandler({ allowList: ["dd", NODE], memoryMb }).run(
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
      const capped = createScriptHandler({ allowList: [NODE], memoryMb: 128 });
      const result = await capped.run(
        node(
          "console.log('started'); const keep = []; for (let i = 0; i < 10; i++) keep.push(Buffer.alloc(64 * 1024 * 1024, 1)); console.log('survived')",
        ),
        context(),
      );
      expect(result.ok).toBe(false);
      expect(result.summary).toContain("started");
      expect(result.summary).not.toContain("survived");
    });

    it("reports an allow-listed command missing from PATH through prlimit's exit 127", async () => {
      const capped = createScriptHandler({ allowList: ["chronoring-no-such-command"] });
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
