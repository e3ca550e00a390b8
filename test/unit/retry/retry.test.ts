import { describe, expect, it } from "vitest";
import { retry } from "../../../src/core/retry.js";
import { fakeClock } from "../../support/fake-clock.js";

const fail = (message = "down") => Promise.reject(new Error(message));

/** Runs `retry` on a fake clock, recording when each try began. */
function tracked(clock: ReturnType<typeof fakeClock>, outcomes: Array<"fail" | string>) {
  const tries: number[] = [];
  const fn = async (attempt: number) => {
    tries.push(clock.now());
    const outcome = outcomes[attempt - 1] ?? "fail";
    return outcome === "fail" ? fail(`try ${attempt}`) : outcome;
  };
  return { tries, fn };
}

describe("retry on a fake clock", () => {
  it("tries again after each delay of the backoff until the call succeeds", async () => {
    const clock = fakeClock(0);
    const { tries, fn } = tracked(clock, ["fail", "fail", "fail", "ok"]);
    const delays: number[] = [];
    const result = retry({ baseMs: 100, maxMs: 1_000 }, fn, clock, {
      onRetry: (_err, _attempt, delayMs) => delays.push(delayMs),
    });
    await clock.tick(10_000);
    await expect(result).resolves.toBe("ok");
    expect(tries).toEqual([0, 100, 300, 700]);
    expect(delays).toEqual([100, 200, 400]);
  });

  it("does not try before the delay is over", async () => {
    const clock = fakeClock(0);
    const { tries, fn } = tracked(clock, ["fail", "ok"]);
    const result = retry({ baseMs: 500, maxMs: 500 }, fn, clock);
    await clock.tick(499);
    expect(tries).toEqual([0]);
    await clock.tick(1);
    await expect(result).resolves.toBe("ok");
    expect(tries).toEqual([0, 500]);
  });

  it("gives up after `attempts` tries, throwing the last failure", async () => {
    const clock = fakeClock(0);
    const { tries, fn } = tracked(clock, []);
    const result = retry({ baseMs: 10, maxMs: 10, attempts: 3 }, fn, clock);
    const settled = result.catch((err: Error) => err.message);
    await clock.tick(1_000);
    expect(await settled).toBe("try 3");
    expect(tries).toEqual([0, 10, 20]);
    expect(clock.pending()).toBe(0);
  });

  it("gives up once maxElapsedMs has passed since the first try", async () => {
    const clock = fakeClock(0);
    const { tries, fn } = tracked(clock, []);
    const settled = retry({ baseMs: 400, maxMs: 400, maxElapsedMs: 1_000 }, fn, clock).catch(
      (err: Error) => err.message,
    );
    await clock.tick(5_000);
    // Tries at 0, 400, 800 are within the time; the one at 1200 is the last.
    expect(tries).toEqual([0, 400, 800, 1200]);
    expect(await settled).toBe("try 4");
  });

  it("throws a failure that is not retryable at once, without a delay", async () => {
    const clock = fakeClock(0);
    const permanent = new Error("bad request");
    let calls = 0;
    const result = retry(
      { baseMs: 100, maxMs: 100 },
      async () => {
        calls++;
        throw permanent;
      },
      clock,
      { retryable: (err) => err !== permanent },
    );
    await expect(result).rejects.toBe(permanent);
    expect(calls).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it("an abort during the delay ends it at once with the signal's reason, and no further try", async () => {
    const clock = fakeClock(0);
    const { tries, fn } = tracked(clock, []);
    const stop = new AbortController();
    const settled = retry({ baseMs: 1_000, maxMs: 1_000 }, fn, clock, {
      signal: stop.signal,
    }).catch((err: unknown) => err);
    await clock.tick(10);
    stop.abort(new Error("stopping"));
    expect(((await settled) as Error).message).toBe("stopping");
    await clock.tick(5_000);
    expect(tries).toEqual([0]);
  });

  it("an aborted signal means no try at all; a failure once aborted is thrown as is", async () => {
    const clock = fakeClock(0);
    const stop = new AbortController();
    stop.abort(new Error("stopped"));
    let calls = 0;
    const call = async () => {
      calls++;
      return "ok";
    };
    await expect(
      retry({ baseMs: 1, maxMs: 1 }, call, clock, { signal: stop.signal }),
    ).rejects.toThrow("stopped");
    expect(calls).toBe(0);

    const late = new AbortController();
    const failing = async () => {
      late.abort(new Error("stopped"));
      throw new Error("the call's own failure");
    };
    await expect(
      retry({ baseMs: 1, maxMs: 1 }, failing, clock, { signal: late.signal }),
    ).rejects.toThrow("the call's own failure");
  });

  it("a zero delay retries at once, without a timer", async () => {
    const clock = fakeClock(0);
    const { tries, fn } = tracked(clock, ["fail", "fail", "ok"]);
    await expect(retry({ baseMs: 0, maxMs: 0 }, fn, clock)).resolves.toBe("ok");
    expect(tries).toEqual([0, 0, 0]);
  });

  it("passes the attempt number and draws jitter from the random given", async () => {
    const clock = fakeClock(0);
    const { tries, fn } = tracked(clock, ["fail", "ok"]);
    const result = retry({ baseMs: 1_000, maxMs: 1_000, jitter: 1 }, fn, clock, {
      random: () => 0.75,
    });
    await clock.tick(1_000);
    await expect(result).resolves.toBe("ok");
    expect(tries).toEqual([0, 250]);
  });

  it("refuses fewer than one try", async () => {
    await expect(
      retry({ baseMs: 1, maxMs: 1, attempts: 0 }, () => fail(), fakeClock(0)),
    ).rejects.toThrow(RangeError);
  });
});
