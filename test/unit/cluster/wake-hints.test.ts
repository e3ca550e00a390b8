/**
 * Which runs scheduled by an API node get a wake hint: only those sooner
 * than the periodic polls would find them, and one per partition for a burst
 * that an announced poll still to come will read. A failed hint is logged
 * and the next run of that partition is hinted again.
 */
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createWakeHints } from "../../../src/cluster/wake-hints.js";
import { fakeClock } from "../../support/fake-clock.js";

const LOOKAHEAD = 5_000;
const POLL = 10_000;
const T0 = 1_800_000_000_000;

function setup(publish: (partition: number, at: number) => Promise<void> = async () => {}) {
  const clock = fakeClock(T0);
  const sent: Array<[number, number]> = [];
  const results: string[] = [];
  const hints = createWakeHints({
    clock,
    options: { lookaheadMs: LOOKAHEAD, pollBackstopMs: POLL },
    publish: async (partition, at) => {
      sent.push([partition, at]);
      await publish(partition, at);
    },
    logger: pino({ enabled: false }),
    onHint: (result) => results.push(result),
  });
  return { clock, hints, sent, results };
}

describe("wake hints", () => {
  it("a run sooner than poll interval + look-ahead is hinted; a later one is left to the polls", () => {
    const { hints, sent } = setup();
    hints.scheduled(1, T0 + 2_000);
    hints.scheduled(2, T0 + POLL + LOOKAHEAD);
    hints.scheduled(3, T0 + POLL + LOOKAHEAD + 1);
    expect(sent).toEqual([
      [1, T0 + 2_000],
      [2, T0 + POLL + LOOKAHEAD],
    ]);
  });

  it("a burst in one partition gets one hint while the hinted poll is still to come", () => {
    const { hints, sent, results } = setup();
    hints.scheduled(7, T0 + 8_000); // its poll comes at T0 + 3 s
    hints.scheduled(7, T0 + 8_000); // read by that poll
    hints.scheduled(7, T0 + 12_000); // read by that poll (up to 8 s + poll interval)
    hints.scheduled(7, T0 + 7_000); // earlier than the hinted run: needs its own
    hints.scheduled(4, T0 + 8_000); // another partition
    expect(sent).toEqual([
      [7, T0 + 8_000],
      [7, T0 + 7_000],
      [4, T0 + 8_000],
    ]);
    expect(results.filter((r) => r === "skipped")).toHaveLength(2);
  });

  it("once the hinted poll may have happened, a new run is hinted again", () => {
    const { clock, hints, sent } = setup();
    hints.scheduled(7, T0 + 8_000);
    clock.advance(3_000); // the poll for T0 + 8 s is due now
    hints.scheduled(7, T0 + 9_000);
    expect(sent).toEqual([
      [7, T0 + 8_000],
      [7, T0 + 9_000],
    ]);
  });

  it("a failed hint is logged, counted, and the partition's next run is hinted again", async () => {
    let fail = true;
    const { hints, sent, results } = setup(async () => {
      if (fail) throw new Error("etcd down");
    });
    hints.scheduled(2, T0 + 8_000);
    await new Promise((r) => setImmediate(r));
    expect(results).toEqual(["failed"]);
    fail = false;
    hints.scheduled(2, T0 + 9_000);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([
      [2, T0 + 8_000],
      [2, T0 + 9_000],
    ]);
    expect(results).toEqual(["failed", "sent"]);
  });
});
