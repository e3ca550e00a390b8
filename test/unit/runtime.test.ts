import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { NODE_FLAGS } from "../../deploy/local/chronoring-process.js";
import { PROD_INSTALL } from "../support/prod-layout.js";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(resolve(ROOT, file), "utf8");
const major = (version: string) => Number(version.replace(/^v/, "").split(".")[0]);

/** The Node version deploy/local/node.sh pins for machines whose node is older. */
const pinned = /^CHRONORING_NODE_VERSION=(\S+)$/m.exec(read("deploy/local/node.sh"))?.[1];
const floor = Number(/>=(\d+)/.exec(JSON.parse(read("package.json")).engines.node)?.[1]);

describe("the Node runtime", () => {
  it("package.json asks for Node >= 22 and node.sh pins a Node 24", () => {
    expect(floor).toBe(22);
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
  });

  it("tests run on Node >= 22 (node.sh put the pinned one first on PATH on an older machine)", () => {
    expect(major(process.version)).toBeGreaterThanOrEqual(floor);
  });

  it("a child started as `node` from PATH is the same node as this one", () => {
    const child = spawnSync("node", ["-p", "process.version"], { encoding: "utf8" });
    expect(child.stdout.trim()).toBe(process.version);
  });

  it("the Dockerfile's node images are the pinned version, and it installs as the tested layout does", () => {
    const dockerfile = read("Dockerfile");
    const images = [...dockerfile.matchAll(/^FROM node:(\S+)/gm)].map((m) => m[1]);
    expect(images).toEqual([
      `${pinned}-bookworm`,
      `${pinned}-bookworm-slim`,
      `${pinned}-bookworm-slim`,
    ]);
    expect(dockerfile).toContain(`RUN npm ${PROD_INSTALL.join(" ")} `);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd && JSON.parse(cmd)).toEqual(["node", ...NODE_FLAGS, "dist/main.js"]);
  });

  it("`npm start` and `npm run start:dev` start a node with the image's heap flags", () => {
    const { scripts } = JSON.parse(read("package.json"));
    expect(scripts.start).toBe(
      `bash deploy/local/with-node.sh node ${NODE_FLAGS.join(" ")} dist/main.js`,
    );
    expect(scripts["start:dev"]).toBe(
      `bash deploy/local/with-node.sh tsx ${NODE_FLAGS.join(" ")} src/main.ts`,
    );
  });
});
