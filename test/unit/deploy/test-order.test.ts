import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { firstFilesFirst, RUN_FIRST } from "../../support/sequencer.js";

type File = { project: string; path: string };
const order = (files: File[], first: string[]) =>
  firstFilesFirst(
    files,
    (f) => f.project,
    (f) => f.path,
    first,
  ).map((f) => `${f.project}:${f.path}`);

describe("the suite's file order", () => {
  it("moves the listed files to the front of their own project, in the list's order, and keeps the rest as vitest sorted it", () => {
    const files: File[] = [
      { project: "paired", path: "big.ts" },
      { project: "paired", path: "mid.ts" },
      { project: "paired", path: "long-but-small.ts" },
      { project: "timed", path: "a.ts" },
      { project: "timed", path: "b.ts" },
    ];
    expect(order(files, ["b.ts", "long-but-small.ts"])).toEqual([
      "paired:long-but-small.ts",
      "paired:big.ts",
      "paired:mid.ts",
      "timed:b.ts",
      "timed:a.ts",
    ]);
  });

  it("leaves the order alone when no listed file is in the run", () => {
    const files: File[] = [
      { project: "unit", path: "x.ts" },
      { project: "unit", path: "y.ts" },
    ];
    expect(order(files, ["z.ts"])).toEqual(["unit:x.ts", "unit:y.ts"]);
  });

  it("lists only files that exist (a renamed file would silently drop out of the list)", () => {
    for (const path of RUN_FIRST) expect(existsSync(path), path).toBe(true);
  });
});
