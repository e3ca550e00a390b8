import { describe, expect, it } from "vitest";
import type { Delivery, OutgoingRun, WorkQueue } from "../../src/core/ports/work-queue.js";
import { makeRun } from "../support/jobs.js";

/**
 * A fresh, initialised queue whose visibility timeout is 1 s, and how to let
 * time pass for it (the wall clock for a real queue, a fake one in memory).
 */
export type WorkQueueFactory = (
  label: string,
) => Promise<{ queue: WorkQueue; wait(ms: number): Promise<void> }>;

const run = (scheduledMs: number, extra: Partial<OutgoingRun> = {}): OutgoingRun => ({
  ...makeRun("acme", scheduledMs),
  ...extra,
});

/** Receives until `count` runs came or `tries` receives came back empty-handed. */
async function receiveAll(queue: WorkQueue, count: number, priority?: OutgoingRun["priority"]) {
  const got = [];
  for (let tries = 0; got.length < count && tries < 5; tries++) {
    got.push(...(await queue.receive(10, 0, undefined, priority)));
  }
  return got;
}

/**
 * The behaviour the core relies on from every `WorkQueue`: a received run
 * stays invisible for the visibility timeout (which `extend` moves) and is
 * delivered again unless acknowledged; priorities are separate queues;
 * a delay holds a run back; a long poll returns a run sent while it waits.
 */
export function workQueueContract(adapter: string, factory: WorkQueueFactory): void {
  describe(`WorkQueue contract: ${adapter}`, () => {
    it("delivers a run with what was sent along, and not again once acknowledged", async () => {
      const { queue, wait } = await factory("ack");
      const target = { type: "noop", sleepMs: 0 } as const;
      await queue.send([run(1, { target, notify: true, claimed: true, failing: false })]);
      const [d] = await receiveAll(queue, 1);
      expect(d).toMatchObject({
        run: makeRun("acme", 1),
        target,
        notify: true,
        claimed: true,
        failing: false,
        receiveCount: 1,
      });
      expect(d!.sentMs).toBeGreaterThan(0);
      await queue.ack(d!);
      await wait(1500);
      expect(await queue.receive(10, 0)).toEqual([]);
    });

    it("redelivers a run not acknowledged within the visibility timeout, counting deliveries", async () => {
      const { queue, wait } = await factory("redeliver");
      await queue.send([run(2)]);
      const [first] = await receiveAll(queue, 1);
      expect(await queue.receive(10, 0)).toEqual([]);
      await wait(1500);
      const [again] = await receiveAll(queue, 1);
      expect(again?.run).toEqual(first?.run);
      expect(again?.receiveCount).toBe(2);
      await queue.ack(again!);
    });

    it("keeps a run invisible while it is extended", async () => {
      const { queue, wait } = await factory("extend");
      await queue.send([run(3)]);
      const [d] = await receiveAll(queue, 1);
      await queue.extend(d!, 4);
      await wait(1500);
      expect(await queue.receive(10, 0)).toEqual([]);
      expect((await queue.depth()).inFlight).toBe(1);
      await queue.ack(d!);
    });

    it("extends many runs together, across priorities; one that is gone fails alone", async () => {
      const { queue, wait } = await factory("extend-all");
      // Sent one by one: a message each (runs sent together may share one).
      for (let i = 0; i < 12; i++) await queue.send([run(100 + i)]);
      await queue.send([run(200, { priority: "HIGH" })]);
      const got = [...(await receiveAll(queue, 12)), ...(await receiveAll(queue, 1, "HIGH"))];
      expect(got).toHaveLength(13);
      const [gone, ...kept] = got;
      await queue.ack(gone!);
      const failed = await queue.extendAll(got, 4);
      // SQS refuses the receipt of a deleted message; a queue may also ignore it.
      expect(failed.map((f) => f.delivery)).toEqual(failed.length ? [gone] : []);
      await wait(1500);
      expect(await queue.receive(10, 0)).toEqual([]);
      expect(await queue.receive(10, 0, undefined, "HIGH")).toEqual([]);
      expect((await queue.depth()).inFlight).toBe(12);
      // Visibility 0 gives them back at once.
      expect(await queue.extendAll(kept, 0)).toEqual([]);
      const again = [...(await receiveAll(queue, 11)), ...(await receiveAll(queue, 1, "HIGH"))];
      expect(again.map((d) => d.run.scheduledMs).sort()).toEqual(
        kept.map((d) => d.run.scheduledMs).sort(),
      );
      expect(await queue.extendAll([], 4)).toEqual([]);
    });

    it("delivers runs sent together one by one; one given back comes back alone, the rest given back come back, acknowledged ones never", async () => {
      const { queue, wait } = await factory("together");
      const times = Array.from({ length: 25 }, (_, i) => 300 + i);
      await queue.send(times.map((t) => run(t)));
      const got = await receiveAll(queue, 25);
      const timesOf = (ds: Delivery[]) => ds.map((d) => d.run.scheduledMs).sort((a, b) => a - b);
      expect(timesOf(got)).toEqual(times);
      expect(new Set(got.map((d) => d.handle)).size).toBe(25);
      const [first, ...rest] = got;
      expect(await queue.extendAll(rest, 3)).toEqual([]);
      expect(await queue.extendAll([first!], 0)).toEqual([]);
      const alone = await receiveAll(queue, 1);
      expect(timesOf(alone)).toEqual([300]);
      expect(await queue.receive(10, 0)).toEqual([]);
      // Given back, the rest come back, and none of them twice.
      expect(await queue.extendAll(rest, 0)).toEqual([]);
      const back = await receiveAll(queue, 24);
      expect(timesOf(back)).toEqual(times.slice(1));
      for (const d of [...alone, ...back]) await queue.ack(d);
      await wait(3500);
      expect(await queue.receive(10, 0)).toEqual([]);
    });

    it("keeps each priority's runs in its own queue", async () => {
      const { queue } = await factory("priority");
      await queue.send([run(4, { priority: "HIGH" }), run(5, { priority: "LOW" }), run(6)]);
      const high = await receiveAll(queue, 1, "HIGH");
      expect(high.map((d) => [d.run.scheduledMs, d.priority])).toEqual([[4, "HIGH"]]);
      const medium = await receiveAll(queue, 1);
      expect(medium.map((d) => d.run.scheduledMs)).toEqual([6]);
      const low = await receiveAll(queue, 1, "LOW");
      expect(low.map((d) => d.run.scheduledMs)).toEqual([5]);
      for (const d of [...high, ...medium, ...low]) await queue.ack(d);
    });

    it("holds a delayed run back, and counts it as delayed", async () => {
      const { queue, wait } = await factory("delay");
      await queue.send([run(7, { delayMs: 1000 })]);
      expect(await queue.receive(10, 0)).toEqual([]);
      expect((await queue.depth("MEDIUM")).delayed).toBe(1);
      await wait(2000);
      const got = await receiveAll(queue, 1);
      expect(got.map((d) => d.run.scheduledMs)).toEqual([7]);
    });

    it("returns from a long poll with a run sent while it waits", async () => {
      const { queue } = await factory("long-poll");
      const polling = queue.receive(10, 5000);
      await new Promise((r) => setTimeout(r, 100));
      await queue.send([run(8)]);
      expect((await polling).map((d) => d.run.scheduledMs)).toEqual([8]);
    });
  });
}
