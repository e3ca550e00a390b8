/**
 * A SendMessageBatch that SQS accepts only in part, on a fake clock: the
 * failed entries alone are sent again after growing, jittered delays; entries
 * still failing after the rounds, or refused as the sender's fault, make the
 * send fail with SQS's Unavailable.
 */
import { describe, expect, it } from "vitest";
import {
  type FailedEntry,
  SEND_ROUNDS,
  sendInRounds,
} from "../../../src/adapters/sqs/send-rounds.js";
import { isChronoringError } from "../../../src/core/errors.js";
import { fakeClock } from "../../support/fake-clock.js";

const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: String(i) }));

/** A queue that fails the entries `fail(round, ids)` names in each round. */
function flakyQueue(
  clock: ReturnType<typeof fakeClock>,
  fail: (round: number, ids: string[]) => FailedEntry[],
) {
  const rounds: Array<{ atMs: number; ids: string[] }> = [];
  const send = async (batch: Array<{ Id: string }>) => {
    const ids = batch.map((e) => e.Id);
    rounds.push({ atMs: clock.now(), ids });
    return fail(rounds.length, ids);
  };
  return { send, rounds };
}

describe("sendInRounds (fake clock)", () => {
  it("sends the failed entries alone again, after delays of half to all of a doubling one", async () => {
    const clock = fakeClock(0);
    const q = flakyQueue(clock, (round, ids) =>
      round === 1
        ? [
            { Id: "2", Code: "InternalError" },
            { Id: "7", Code: "InternalError" },
          ]
        : round === 2
          ? [{ Id: ids[0]!, Code: "InternalError" }]
          : [],
    );
    const sent = sendInRounds(entries(10), q.send, clock);
    await clock.tick(5_000);
    await sent;
    expect(q.rounds.map((r) => r.ids)).toEqual([entries(10).map((e) => e.Id), ["2", "7"], ["2"]]);
    // Nominal 50 and 100 ms; equal jitter takes up to half off.
    const gaps = [q.rounds[1]!.atMs - q.rounds[0]!.atMs, q.rounds[2]!.atMs - q.rounds[1]!.atMs];
    expect(gaps[0]).toBeGreaterThanOrEqual(25);
    expect(gaps[0]).toBeLessThanOrEqual(50);
    expect(gaps[1]).toBeGreaterThanOrEqual(50);
    expect(gaps[1]).toBeLessThanOrEqual(100);
  });

  it("does not send again before the delay is over", async () => {
    const clock = fakeClock(0);
    const q = flakyQueue(clock, (round) => (round === 1 ? [{ Id: "0" }] : []));
    const sent = sendInRounds(entries(1), q.send, clock);
    await clock.tick(24);
    expect(q.rounds).toHaveLength(1);
    await clock.tick(26);
    await sent;
    expect(q.rounds).toHaveLength(2);
  });

  it("fails with SQS's Unavailable when entries still fail after the last round", async () => {
    const clock = fakeClock(0);
    const q = flakyQueue(clock, () => [{ Id: "1", Code: "ServiceUnavailable" }]);
    const sent = sendInRounds(entries(3), q.send, clock).catch((e: unknown) => e);
    await clock.tick(10_000);
    const err = await sent;
    expect(isChronoringError(err, "unavailable")).toBe(true);
    expect(String((err as Error).cause)).toContain("1 messages not accepted (ServiceUnavailable)");
    expect(q.rounds).toHaveLength(SEND_ROUNDS.attempts!);
  });

  it("spends no round on an entry refused as the sender's fault", async () => {
    const clock = fakeClock(0);
    const q = flakyQueue(clock, () => [
      { Id: "0", SenderFault: true, Code: "InvalidMessageContents" },
    ]);
    const err = await sendInRounds(entries(2), q.send, clock).catch((e: unknown) => e);
    expect(isChronoringError(err, "unavailable")).toBe(true);
    expect(q.rounds).toHaveLength(1);
  });
});
