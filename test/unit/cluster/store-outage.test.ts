import { describe, expect, it } from "vitest";
import { createStoreOutage } from "../../../src/cluster/store-outage.js";
import { StaleOwnerError } from "../../../src/core/errors.js";
import { fakeClock } from "../../support/fake-clock.js";

const fail = () => Promise.reject(new Error("unreachable"));
const succeed = () => Promise.resolve("ok");

describe("store outage of a scheduler node", () => {
  it("is out once calls have failed, none succeeding, for longer than the bound", async () => {
    const clock = fakeClock(1_000);
    const outage = createStoreOutage({ clock, outageMs: 3_000 });
    await outage.track(fail).catch(() => {});
    clock.advance(2_000);
    await outage.track(fail).catch(() => {});
    expect(outage.isOut()).toBe(false);
    clock.advance(1_001);
    expect(outage.isOut()).toBe(true);
  });

  it("counts a call that hangs (packets dropped) from its start", async () => {
    const clock = fakeClock(0);
    const outage = createStoreOutage({ clock, outageMs: 3_000 });
    let release: () => void = () => {};
    const hanging = outage.track(() => new Promise<void>((r) => (release = r)));
    clock.advance(3_001);
    expect(outage.isOut()).toBe(true);
    release();
    await hanging;
    expect(outage.isOut()).toBe(false);
  });

  it("counts from the first failure after the last success", async () => {
    const clock = fakeClock(0);
    const outage = createStoreOutage({ clock, outageMs: 3_000 });
    await outage.track(fail).catch(() => {});
    clock.advance(2_500);
    await outage.track(succeed);
    await outage.track(fail).catch(() => {});
    clock.advance(2_500);
    expect(outage.isOut()).toBe(false);
  });

  it("takes an error that proves the store answered (a stale fence) as reaching it", async () => {
    const clock = fakeClock(0);
    const outage = createStoreOutage({
      clock,
      outageMs: 1_000,
      answered: (err) => err instanceof StaleOwnerError,
    });
    await outage.track(fail).catch(() => {});
    clock.advance(500);
    await outage.track(() => Promise.reject(new StaleOwnerError(3, 4))).catch(() => {});
    clock.advance(1_000);
    expect(outage.isOut()).toBe(false);
  });

  it("is never out without a failure, and forgets failures on reset", async () => {
    const clock = fakeClock(0);
    const outage = createStoreOutage({ clock, outageMs: 1_000 });
    clock.advance(10_000);
    expect(outage.isOut()).toBe(false);
    await outage.track(fail).catch(() => {});
    clock.advance(5_000);
    outage.reset();
    expect(outage.isOut()).toBe(false);
  });
});
