/** How runs sent together share messages, and what a pack's runs' acks and give-backs do to it. */
import { describe, expect, it } from "vitest";
import { parseRuns } from "../../../src/adapters/sqs/message-body.js";
import {
  createPackTracker,
  messageBody,
  PACK_FORGET_MS,
  PACK_MAX_BYTES,
  PACK_MAX_RUNS,
  packRuns,
} from "../../../src/adapters/sqs/packs.js";

const bodies = (n: number, size = 10) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ i, pad: "x".repeat(size) }));

describe("packRuns", () => {
  it("uses the fewest messages of up to ten runs, shared evenly, in order", () => {
    expect(packRuns(bodies(1)).map((p) => p.length)).toEqual([1]);
    expect(packRuns(bodies(7)).map((p) => p.length)).toEqual([7]);
    expect(packRuns(bodies(25)).map((p) => p.length)).toEqual([9, 9, 7]);
    const many = packRuns(bodies(250));
    expect(many).toHaveLength(25);
    expect(many.every((p) => p.length === PACK_MAX_RUNS)).toBe(true);
    expect(many.flat()).toEqual(bodies(250));
    // queue-runs-per-message 1: a message a run; 4: the fewest of up to four.
    expect(packRuns(bodies(3), 1).map((p) => p.length)).toEqual([1, 1, 1]);
    expect(packRuns(bodies(9), 4).map((p) => p.length)).toEqual([3, 3, 3]);
  });

  it("closes a message at its byte cap; a bigger run goes alone", () => {
    const big = bodies(1, PACK_MAX_BYTES)[0]!;
    // 31 runs: eight a message, but only two of 2.5 KB fit under the cap.
    const packs = packRuns([...bodies(4, 2_500), big, ...bodies(26)]);
    expect(packs.map((p) => p.length)).toEqual([2, 2, 1, 8, 8, 8, 2]);
    expect(packs[2]).toEqual([big]);
  });

  it("writes one run as itself, several as a pack the parser reads back", () => {
    const [one] = bodies(1);
    expect(messageBody([one!])).toBe(one);
    const runs = [1, 2].map((t) =>
      JSON.stringify({ jobId: "j", scheduledMs: t, attempt: 1, partition: 0 }),
    );
    const parsed = parseRuns(messageBody(runs));
    expect(parsed?.pack).toBe(true);
    expect(parsed?.runs.map((r) => r?.scheduledMs)).toEqual([1, 2]);
    expect(parseRuns(runs[0])?.pack).toBe(false);
    expect(parseRuns('{"runs":[{"x":1}]}')?.runs).toEqual([undefined]);
    expect(parseRuns("nope")).toBeUndefined();
  });
});

describe("the pack tracker", () => {
  it("deletes a message once every run of it is acknowledged", () => {
    const packs = createPackTracker();
    const [a, b] = packs.received("r1", ["A", "B"], undefined, 0);
    expect(packs.receiptOf(a!)).toBe("r1");
    expect(packs.acked(a!)).toEqual({ kind: "none" });
    expect(packs.acked(b!)).toEqual({ kind: "delete", receipt: "r1" });
    expect(packs.size).toBe(0);
    expect(packs.isMember(a!)).toBe(false);
  });

  it("makes a message given back whole visible; sends a run given back alone again", () => {
    const packs = createPackTracker();
    const [a, b, c] = packs.received("r1", ["A", "B", "C"], { k: 1 }, 0);
    expect(packs.givenBack([a!])).toEqual([
      { kind: "resend", receipt: "r1", runs: ["A"], handles: [a], attributes: { k: 1 } },
    ]);
    expect(packs.settled([a!])).toEqual({ kind: "none" });
    // One run done: the rest given back are sent again, not the message.
    expect(packs.givenBack([b!, c!])).toEqual([
      { kind: "resend", receipt: "r1", runs: ["B", "C"], handles: [b, c], attributes: { k: 1 } },
    ]);
    expect(packs.settled([b!, c!])).toEqual({ kind: "delete", receipt: "r1" });

    const [x, y] = packs.received("r2", ["X", "Y"], undefined, 0);
    expect(packs.givenBack([y!, x!, "unknown"])).toEqual([{ kind: "release", receipt: "r2" }]);
    expect(packs.size).toBe(0);
  });

  it("forgets a pack whose receipt has expired, unsettled runs and all", () => {
    const packs = createPackTracker();
    const [old] = packs.received("r1", ["A", "B"], undefined, 0);
    packs.received("r2", ["C", "D"], undefined, PACK_FORGET_MS);
    expect(packs.size).toBe(2);
    packs.received("r3", ["E", "F"], undefined, PACK_FORGET_MS + 1);
    expect(packs.size).toBe(2);
    expect(packs.isMember(old!)).toBe(false);
  });
});
