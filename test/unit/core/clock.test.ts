import { describe, expect, it } from "vitest";
import { clockWithNow, every, settlesWithin, systemClock } from "../../../src/core/clock.js";
import { fakeClock } from "../../support/fake-clock.js";

describe("fake clock", () => {
  it("runs timers in due order as time ticks, and not before", async () => {
    const clock = fakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 200);
    await clock.tick(99);
    expect(fired).toEqual([]);
    await clock.tick(150);
    expect(fired).toEqual(["a@1100", "b@1200", "c@1200"]);
    expect(clock.now()).toBe(1249);
    expect(clock.pending()).toBe(0);
  });

  it("runs every() each period until it is cancelled, even when a call throws", async () => {
    const clock = fakeClock(0);
    const calls: number[] = [];
    const timer = every(clock, 1000, () => {
      calls.push(clock.now());
      if (calls.length === 2) throw new Error("a failing call does not stop the timer");
    });
    await clock.tick(999);
    expect(calls).toEqual([]);
    await clock.tick(1).catch(() => {});
    await clock.tick(1000).catch(() => {});
    await clock.tick(1000);
    expect(calls).toEqual([1000, 2000, 3000]);
    timer.cancel();
    await clock.tick(5000);
    expect(calls).toHaveLength(3);
    expect(clock.pending()).toBe(0);
  });

  it("lets a loop of sleeps run as many rounds as the time allows", async () => {
    const clock = fakeClock(0);
    let rounds = 0;
    const stop = new AbortController();
    const loop = (async () => {
      try {
        for (;;) {
          await clock.sleep(1000, stop.signal);
          rounds++;
        }
      } catch (e) {
        return e;
      }
    })();
    await clock.tick(5500);
    expect(rounds).toBe(5);
    stop.abort(new Error("stopped"));
    expect(await loop).toEqual(new Error("stopped"));
    expect(clock.pending()).toBe(0);
  });

  it("cancels a timer, and advance moves time without running timers", async () => {
    const clock = fakeClock(0);
    let ran = 0;
    const timer = clock.setTimeout(() => ran++, 10);
    timer.cancel();
    clock.setTimeout(() => ran++, 10);
    clock.advance(50);
    expect(ran).toBe(0);
    await clock.tick(0);
    expect(ran).toBe(1);
  });
});

describe("system clock", () => {
  it("sleeps and rejects with the abort reason", async () => {
    const ac = new AbortController();
    const sleeping = systemClock.sleep(10_000, ac.signal, { unref: true });
    ac.abort(new Error("bye"));
    await expect(sleeping).rejects.toThrow("bye");
    await systemClock.sleep(1);
  });

  it("clockWithNow keeps the timers and replaces now", () => {
    const clock = clockWithNow(() => 42);
    expect(clock.now()).toBe(42);
    clock.setTimeout(() => {}, 1, { unref: true }).cancel();
  });
});

describe("settlesWithin", () => {
  it("is true when the work resolves or rejects in time, and leaves no timer behind", async () => {
    const clock = fakeClock(0);
    expect(await settlesWithin(Promise.resolve("done"), 1000, clock)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error("failed")), 1000, clock)).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it("is false once the clock passes the bound with the work still pending", async () => {
    const clock = fakeClock(0);
    const verdict = settlesWithin(new Promise(() => {}), 1000, clock);
    await clock.tick(1000);
    expect(await verdict).toBe(false);
  });
});
