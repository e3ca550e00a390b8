import { describe, expect, it } from "vitest";
import { createStoreOutage } from "../../../src/cluster/store-outage.js";
import { fakeClock } from "../../support/fake-clock.js";

describe("store outage of a scheduler node", () => {
  it("is out only once calls have failed, with none succeeding, for longer than the bound", () => {
    const clock = fakeClock(1_000);
    const outage = createStoreOutage(clock, 3_000);
    outage.failed();
    clock.advance(2_000);
    outage.failed();
    expect(outage.isOut()).toBe(false);
    clock.advance(1_001);
    expect(outage.isOut()).toBe(true);
  });

  it("counts from the first failure after the last success", () => {
    const clock = fakeClock(0);
    const outage = createStoreOutage(clock, 3_000);
    outage.failed();
    clock.advance(2_500);
    outage.ok();
    outage.failed();
    clock.advance(2_500);
    expect(outage.isOut()).toBe(false);
  });

  it("is never out without a failure, and forgets failures on reset", () => {
    const clock = fakeClock(0);
    const outage = createStoreOutage(clock, 1_000);
    clock.advance(10_000);
    expect(outage.isOut()).toBe(false);
    outage.failed();
    clock.advance(5_000);
    outage.reset();
    expect(outage.isOut()).toBe(false);
  });
});
