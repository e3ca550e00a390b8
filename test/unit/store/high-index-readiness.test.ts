/**
 * highIndexReadiness against a stand-in client that answers DescribeTable as
 * told, on a fake clock: however many HIGH passes ask at once, one
 * DescribeTable is in flight; a failed one reads as "not ready" until the
 * recheck 5 s on, never as an error each caller sends again. (At a million
 * jobs on DynamoDB Local, a DescribeTable reads the whole table: 256 passes
 * asking at once and again after each timeout kept the store from anything else.)
 */
import type { DescribeTableCommandOutput, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { HIGH_INDEX, highIndexReadiness } from "../../../src/adapters/dynamodb/high-index.js";
import { fakeClock } from "../../support/fake-clock.js";

type Answer = "ACTIVE" | "CREATING" | "fail";

/** A client whose DescribeTable answers `answers()` once `release` is called for it. */
function describingClient(answers: () => Answer) {
  const pending: Array<() => void> = [];
  let calls = 0;
  const send = (): Promise<DescribeTableCommandOutput> => {
    calls++;
    const answer = answers();
    return new Promise((resolve, reject) => {
      pending.push(() =>
        answer === "fail"
          ? reject(new Error("a request has exceeded the configured 10000 ms requestTimeout"))
          : resolve({
              $metadata: {},
              Table: { GlobalSecondaryIndexes: [{ IndexName: HIGH_INDEX, IndexStatus: answer }] },
            }),
      );
    });
  };
  return {
    client: { send } as unknown as DynamoDBClient,
    calls: () => calls,
    releaseAll: async () => {
      for (const done of pending.splice(0)) done();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
}

describe("highIndexReadiness", () => {
  it("sends one DescribeTable for 256 callers at once, and none once the index is ACTIVE", async () => {
    const clock = fakeClock(0);
    const store = describingClient(() => "ACTIVE");
    const ready = highIndexReadiness(store.client, "jobs", clock, []);
    const asked = Array.from({ length: 256 }, () => ready());
    expect(store.calls()).toBe(1);
    await store.releaseAll();
    expect(await Promise.all(asked)).toEqual(Array(256).fill(true));
    clock.advance(3_600_000);
    expect(await ready()).toBe(true);
    expect(store.calls()).toBe(1);
  });

  it("reads a failed DescribeTable as not ready until 5 s on, then asks once again", async () => {
    const clock = fakeClock(0);
    let answer: Answer = "fail";
    const store = describingClient(() => answer);
    const ready = highIndexReadiness(store.client, "jobs", clock, []);
    const asked = Array.from({ length: 256 }, () => ready());
    await store.releaseAll();
    expect(await Promise.all(asked)).toEqual(Array(256).fill(false));
    expect(store.calls()).toBe(1);

    clock.advance(4_999);
    expect(await ready()).toBe(false);
    expect(store.calls()).toBe(1);

    clock.advance(1);
    answer = "ACTIVE";
    const again = Array.from({ length: 256 }, () => ready());
    expect(store.calls()).toBe(2);
    await store.releaseAll();
    expect(await Promise.all(again)).toEqual(Array(256).fill(true));
  });

  it("asks every 5 s while the index is being built", async () => {
    const clock = fakeClock(0);
    let answer: Answer = "CREATING";
    const store = describingClient(() => answer);
    const ready = highIndexReadiness(store.client, "jobs", clock, []);
    const first = ready();
    await store.releaseAll();
    expect(await first).toBe(false);
    clock.advance(4_000);
    expect(await ready()).toBe(false);
    expect(store.calls()).toBe(1);
    clock.advance(1_000);
    answer = "ACTIVE";
    const second = ready();
    await store.releaseAll();
    expect(await second).toBe(true);
    expect(store.calls()).toBe(2);
  });
});
