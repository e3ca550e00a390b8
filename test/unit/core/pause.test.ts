/**
 * Pause notes and the pause history: kept to the last 20, closed by a
 * resume, recorded by the status change itself (one write, one version).
 */

import { describe, expect, it } from "vitest";
import { createMemoryExecutionStore } from "../../../src/adapters/memory/execution-store.js";
import { createMemoryJobStore } from "../../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../../src/adapters/memory/memory-db.js";
import { createMemoryWorkQueue } from "../../../src/adapters/memory/work-queue.js";
import { createJobCommands } from "../../../src/core/job-commands.js";
import { currentPause, PAUSE_HISTORY_MAX, withPause, withResume } from "../../../src/core/pause.js";
import { fakeClock } from "../../support/fake-clock.js";

describe("the pause history", () => {
  it("keeps the last 20 pauses, the newest last", () => {
    let history = withPause(undefined, 0, { by: "a" });
    for (let i = 1; i <= 25; i++) {
      history = withResume(history, i * 10 - 5, { by: "b" }, 0);
      history = withPause(history, i * 10, { by: "a", note: `n${i}` });
    }
    expect(history).toHaveLength(PAUSE_HISTORY_MAX);
    expect(history.at(-1)).toEqual({ pausedMs: 250, by: "a", note: "n25" });
    expect(currentPause(history)).toEqual(history.at(-1));
    expect(history[0]).toMatchObject({ pausedMs: 60, resumedMs: 65, resumedBy: "b" });
  });

  it("closes a pause made before pauses were recorded, from the job's last change", () => {
    const history = withResume(undefined, 500, { by: "bob", note: "back" }, 100);
    expect(history).toEqual([
      { pausedMs: 100, by: "", resumedMs: 500, resumedBy: "bob", resumeNote: "back" },
    ]);
    expect(currentPause(history)).toBeUndefined();
  });
});

describe("PauseJob and ResumeJob with notes", () => {
  it("record who and why in the status change's own write", async () => {
    const db = createMemoryDb();
    const clock = fakeClock(Date.UTC(2026, 5, 1));
    const commands = createJobCommands({
      jobs: createMemoryJobStore(db),
      executions: createMemoryExecutionStore(db),
      queue: createMemoryWorkQueue({ clock, visibilityTimeoutS: 30, maxReceiveCount: 5 }),
      clock,
      partitionCount: 8,
      startTimeoutMs: 60_000,
    });
    const job = await commands.create("default", {
      name: "n",
      owner: "o",
      tags: [],
      schedule: { interval: "1m" },
      target: { type: "noop", sleepMs: 0 },
    });
    clock.advance(1000);
    const paused = await commands.pause("default", job.id, { by: "alice", note: "migration" });
    expect(paused.version).toBe(2);
    expect(paused.pauses).toEqual([{ pausedMs: clock.now(), by: "alice", note: "migration" }]);
    // Pausing a paused job changes nothing, its note included.
    expect((await commands.pause("default", job.id, { by: "carol", note: "x" })).pauses).toEqual(
      paused.pauses,
    );
    clock.advance(1000);
    const resumed = await commands.resume("default", job.id, { by: "bob" });
    expect(resumed.version).toBe(3);
    expect(resumed.pauses).toEqual([
      {
        pausedMs: clock.now() - 1000,
        by: "alice",
        note: "migration",
        resumedMs: clock.now(),
        resumedBy: "bob",
      },
    ]);
  });
});
