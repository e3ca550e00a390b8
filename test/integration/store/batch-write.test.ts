/**
 * batchPut against DynamoDB Local, with throttling and an outage injected by
 * SDK middleware (the emulator does neither): items left unprocessed are
 * sent again after equal-jitter backoff until written; a request that keeps
 * failing gives its items back as unwritten after its rounds, or, when asked,
 * throws the store's Unavailable at once.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { batchPut } from "../../../src/adapters/dynamodb/batch-write.js";
import { tableNames } from "../../../src/adapters/dynamodb/client.js";
import { type ChronoringError, isChronoringError } from "../../../src/core/errors.js";
import { testConfig, testStores } from "../../support/app.js";
import { injectBatchWriteFaults } from "../../support/batch-write-faults.js";

type Stores = Awaited<ReturnType<typeof testStores>>;

const items = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ name: { S: `${prefix}-${i}` }, body: { S: "x" } }));

describe("batchPut", () => {
  let table: string;
  let config: ReturnType<typeof testConfig>;
  beforeAll(async () => {
    config = testConfig("batchput");
    table = tableNames(config.store.tablePrefix).calendars;
    await (await testStores(config)).client.destroy();
  });
  const stores = async (): Promise<Stores> => testStores(config);
  const written = async (s: Stores, prefix: string) =>
    ((await s.client.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [])
      .map((i) => i.name!.S!)
      .filter((n) => n.startsWith(`${prefix}-`)).length;

  it("sends unprocessed items again, each delay half to all of a doubling one, until all are written", async () => {
    const s = await stores();
    // Calls 1-3 leave 10, 5 and 2 items unprocessed.
    const held = [10, 5, 2];
    injectBatchWriteFaults(s.client, { unprocessed: (call) => held[call - 1] ?? 0 });
    const retries: Array<{ pending: number; round: number; delayMs: number }> = [];
    const left = await batchPut(s.client, table, items("thr", 20), {
      baseDelayMs: 40,
      maxDelayMs: 100,
      onRetry: (pending, round, delayMs) => retries.push({ pending, round, delayMs }),
    });
    expect(left).toEqual([]);
    expect(await written(s, "thr")).toBe(20);
    expect(retries.map((r) => [r.pending, r.round])).toEqual([
      [10, 1],
      [5, 2],
      [2, 3],
    ]);
    // Nominal 40, 80, 100 (capped) ms; equal jitter takes up to half off.
    for (const [i, nominal] of [40, 80, 100].entries()) {
      expect(retries[i]!.delayMs).toBeGreaterThanOrEqual(nominal / 2);
      expect(retries[i]!.delayMs).toBeLessThanOrEqual(nominal);
    }
    s.client.destroy();
  });

  it("gives back what is still unprocessed after its rounds", async () => {
    const s = await stores();
    const faults = injectBatchWriteFaults(s.client, { unprocessed: () => 3 });
    const left = await batchPut(s.client, table, items("stuck", 10), {
      attempts: 4,
      baseDelayMs: 1,
      maxDelayMs: 4,
    });
    expect(left.map((i) => i.name!.S)).toEqual(["stuck-0", "stuck-1", "stuck-2"]);
    expect(faults.calls()).toBe(4);
    expect(await written(s, "stuck")).toBe(7);
    s.client.destroy();
  });

  it("counts a store that is down as a round, and gives every item back when it stays down", async () => {
    const s = await stores();
    // Down for the first two calls: the third round writes everything.
    const blip = injectBatchWriteFaults(s.client, { down: (call) => call <= 2 });
    expect(await batchPut(s.client, table, items("blip", 5), { baseDelayMs: 1 })).toEqual([]);
    expect(blip.calls()).toBe(3);
    expect(await written(s, "blip")).toBe(5);
    s.client.destroy();

    const t = await stores();
    const down = injectBatchWriteFaults(t.client, { down: () => true });
    const left = await batchPut(t.client, table, items("down", 30), {
      attempts: 3,
      baseDelayMs: 1,
    });
    expect(left).toHaveLength(30);
    // Two requests (25 + 5 items), three rounds each.
    expect(down.calls()).toBe(2 * 3);
    expect(await written(t, "down")).toBe(0);
    t.client.destroy();
  });

  it("throws the store's Unavailable at once when told not to retry it", async () => {
    const s = await stores();
    injectBatchWriteFaults(s.client, { down: () => true });
    const err = await batchPut(s.client, table, items("now", 5), {
      retryUnavailable: false,
    }).catch((e: unknown) => e);
    expect(isChronoringError(err, "unavailable")).toBe(true);
    expect((err as ChronoringError).message).toBe("DynamoDB is unavailable, retry later");
    s.client.destroy();
  });
});
