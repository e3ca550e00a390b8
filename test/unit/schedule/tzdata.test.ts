import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { tzdataVersion } from "../../../src/core/schedule/tzdata.js";

/**
 * The DST rules were checked against an independent oracle on this version
 * of the time-zone data. Bumping the project's Node (deploy/local/node.sh)
 * changes it: re-run the oracle cases, then move the pin.
 */
const PINNED = { node: "24.22.3", tzdata: "2026e" };

const shippedNode = readFileSync(
  new URL("../../../deploy/local/node.sh", import.meta.url),
  "utf8",
).match(/^CHRONORING_NODE_VERSION=(\S+)$/m)?.[1];

describe("time-zone data version", () => {
  it("the pin names the Node the project ships", () => {
    expect(shippedNode).toBe(PINNED.node);
  });

  it.runIf(process.version === `v${PINNED.node}`)(
    "the shipped runtime has the pinned tz data",
    () => {
      expect(tzdataVersion()).toBe(PINNED.tzdata);
    },
  );

  it("is an IANA release name on any runtime", () => {
    expect(tzdataVersion()).toMatch(/^\d{4}[a-z]$/);
  });
});
