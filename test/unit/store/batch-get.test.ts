/**
 * batchGet's rounds on a fake clock, against a stand-in client that answers
 * BatchGetItem as a throttled table does (part of the keys handed back as
 * UnprocessedKeys; DynamoDB Local never throttles): the rest is asked again
 * after a growing, jittered delay, and keys that stay unprocessed are an
 * outage, never items reported missing.
 */
import type {
  AttributeValue,
  BatchGetItemCommand,
  BatchGetItemCommandOutput,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { BATCH_GET_ROUNDS, batchGet } from "../../../src/adapters/dynamodb/calls.js";
import { isChronoringError } from "../../../src/core/errors.js";
import { type FakeClock, fakeClock } from "../../support/fake-clock.js";

type Key = Record<string, AttributeValue>;
const TABLE = "jobs";
const key = (id: string): Key => ({ id: { S: id } });
const idOf = (item: Key) => item.id?.S ?? "";

/**
 * A client whose table holds `stored`; each call hands back the first
 * `held(call)` keys it was asked for as unprocessed.
 */
function throttledClient(clock: FakeClock, stored: string[], held: (call: number) => number) {
  const calls: Array<{ atMs: number; asked: string[] }> = [];
  const send = async (command: BatchGetItemCommand): Promise<BatchGetItemCommandOutput> => {
    const asked = command.input.RequestItems?.[TABLE]?.Keys ?? [];
    calls.push({ atMs: clock.now(), asked: asked.map(idOf) });
    const back = asked.slice(0, held(calls.length));
    const read = asked.slice(back.length).filter((k) => stored.includes(idOf(k)));
    return {
      $metadata: {},
      Responses: { [TABLE]: read.map((k) => ({ ...k, st: { S: "ACTIVE" } })) },
      ...(back.length ? { UnprocessedKeys: { [TABLE]: { Keys: back } } } : {}),
    };
  };
  return { client: { send } as unknown as DynamoDBClient, calls };
}

describe("batchGet (fake clock)", () => {
  it("asks the unprocessed keys again after delays of half to all of a doubling one, and keeps the order of the keys", async () => {
    const clock = fakeClock(0);
    const held = [2, 1];
    const { client, calls } = throttledClient(clock, ["a", "b", "c", "e"], (n) => held[n - 1] ?? 0);
    const read = batchGet(
      client,
      TABLE,
      ["a", "b", "c", "d", "e"].map(key),
      idOf,
      undefined,
      clock,
    );
    await clock.tick(10_000);
    expect((await read).map(idOf)).toEqual(["a", "b", "c", "e"]);
    expect(calls.map((c) => c.asked)).toEqual([["a", "b", "c", "d", "e"], ["a", "b"], ["a"]]);
    // Nominal delays 25 and 50 ms; equal jitter takes up to half off.
    const gaps = [calls[1]!.atMs - calls[0]!.atMs, calls[2]!.atMs - calls[1]!.atMs];
    expect(gaps[0]).toBeGreaterThanOrEqual(12);
    expect(gaps[0]).toBeLessThanOrEqual(25);
    expect(gaps[1]).toBeGreaterThanOrEqual(25);
    expect(gaps[1]).toBeLessThanOrEqual(50);
  });

  it("does not ask again before the delay is over", async () => {
    const clock = fakeClock(0);
    const { client, calls } = throttledClient(clock, ["a"], (n) => (n === 1 ? 1 : 0));
    const read = batchGet(client, TABLE, [key("a")], idOf, undefined, clock);
    await clock.tick(11);
    expect(calls).toHaveLength(1);
    await clock.tick(14);
    expect((await read).map(idOf)).toEqual(["a"]);
    expect(calls).toHaveLength(2);
  });

  it("throws DynamoDB's Unavailable when keys are still unprocessed after the last round", async () => {
    const clock = fakeClock(0);
    const { client, calls } = throttledClient(clock, ["a", "b"], () => 1);
    const read = batchGet(client, TABLE, [key("a"), key("b")], idOf, undefined, clock).catch(
      (e: unknown) => e,
    );
    await clock.tick(60_000);
    const err = await read;
    expect(isChronoringError(err, "unavailable")).toBe(true);
    expect(calls).toHaveLength(BATCH_GET_ROUNDS.attempts!);
    // The last round asked only for the key the first round held back.
    expect(calls.at(-1)!.asked).toEqual(["a"]);
  });

  it("reads more than 100 keys in requests of 100", async () => {
    const clock = fakeClock(0);
    const ids = Array.from({ length: 230 }, (_, i) => `j${i}`);
    const { client, calls } = throttledClient(clock, ids, () => 0);
    const read = await batchGet(client, TABLE, ids.map(key), idOf, undefined, clock);
    expect(read.map(idOf)).toEqual(ids);
    expect(calls.map((c) => c.asked.length)).toEqual([100, 100, 30]);
  });
});
