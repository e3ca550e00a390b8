import { setImmediate as tick } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { storeCallTimeoutMs, storeDeadlineScope } from "../../../src/core/store-deadline.js";

describe("store-deadline scope: which store calls an API call bounds", () => {
  it("bounds the calls made inside the scope, and what they await, until it is closed", async () => {
    expect(storeCallTimeoutMs()).toBeUndefined();
    const scope = storeDeadlineScope(1500);
    let later: Promise<number | undefined> = Promise.resolve(undefined);
    const seen = await scope.run(async () => {
      await tick();
      // Work the call starts and leaves running inherits the scope...
      later = (async () => {
        await tick();
        await tick();
        return storeCallTimeoutMs();
      })();
      return storeCallTimeoutMs();
    });
    expect(seen).toBe(1500);
    scope.close();
    // ...and is no longer bound once the call has ended.
    expect(await later).toBeUndefined();
    expect(storeCallTimeoutMs()).toBeUndefined();
  });

  it("keeps the bounds of concurrent calls apart", async () => {
    const a = storeDeadlineScope(100);
    const b = storeDeadlineScope(200);
    const [x, y] = await Promise.all([
      a.run(async () => {
        await tick();
        return storeCallTimeoutMs();
      }),
      b.run(async () => storeCallTimeoutMs()),
    ]);
    expect([x, y]).toEqual([100, 200]);
  });
});
