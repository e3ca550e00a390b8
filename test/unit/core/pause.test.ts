/**
 * Pause notes and the pause history: kept to the last 20, closed by a
 * resume, recorded by the status change itself (one write, one version).
 */

import { describe, expect, it } from "vitest";
import { currentPause, PAUSE_HISTORY_MAX, withPause, withResume } from "../../../src/core/pause.js";
import { memoryJobCommands, noopJobInput } from "../../support/memory-commands.js";

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
    const { commands, clock } = memoryJobCommands();
    const job = await commands.create("default", noopJobInput("1m"));
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
