/**
 * The bulk side's slot counter against DynamoDB Local: batches of one tenant
 * taking slots at the same time lose races on the counter's conditional
 * update and take them again with a fresh read, so together they get exactly
 * the quota, never more.
 */
import { describe, expect, it } from "vitest";
import { testConfig, testStores } from "../../support/app.js";

describe("takeSlots", () => {
  it("concurrent batches of one tenant get the quota between them, each lost race read again", async () => {
    const stores = await testStores(testConfig("slot-counter"));
    const tenant = "slots";
    const limit = 20;
    const takes = await Promise.all(
      Array.from({ length: 10 }, () => stores.jobs.takeSlots(tenant, 3, limit)),
    );
    expect(takes.reduce((sum, t) => sum + t.granted, 0)).toBe(limit);
    const last = await stores.jobs.takeSlots(tenant, 1, limit);
    expect(last).toEqual({ granted: 0, use: limit, limit });
    await stores.jobs.freeSlots(tenant, 5);
    expect((await stores.jobs.takeSlots(tenant, 8, limit)).granted).toBe(5);
    stores.client.destroy();
  });
});
