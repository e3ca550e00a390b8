/**
 * The failure policy and run limit rules, pure: what a run's final outcome
 * writes, when the count pauses a job, the pause note, and how a claim
 * spends `remaining_runs`. A last test plays a run of outcomes through the
 * rules as the worker and the store apply them.
 */

import { describe, expect, it } from "vitest";
import {
  FAILURE_PAUSER,
  type FinalOutcome,
  failurePauseNote,
  PAUSE_AFTER_FAILURES_MAX,
  pausesAt,
  streakWrite,
  validatePauseAfterFailures,
} from "../../../src/core/failure-policy.js";
import type { Job } from "../../../src/core/job.js";
import { PAUSE_NOTE_MAX, validateNote } from "../../../src/core/pause.js";
import {
  hasRunsLeft,
  REMAINING_RUNS_MAX,
  spendRuns,
  validateRemainingRuns,
} from "../../../src/core/run-budget.js";
import { invalidField } from "../../support/invalid-field.js";

describe("what a final outcome writes", () => {
  it("a FAILED or DEAD run counts, whatever the job was", () => {
    for (const failing of [true, false, undefined]) {
      expect(streakWrite("failed", failing)).toBe("count");
      expect(streakWrite("dead", failing)).toBe("count");
    }
  });

  it("a success writes nothing when its start found the job not failing, and clears otherwise", () => {
    expect(streakWrite("succeeded", false)).toBeUndefined();
    expect(streakWrite("succeeded", true)).toBe("clear");
    // Not read (a start in doubt): the conditional clear finds out.
    expect(streakWrite("succeeded", undefined)).toBe("clear");
  });
});

describe("when the count pauses a job", () => {
  const job = (over: Partial<Job>) => ({ status: "ACTIVE" as const, ...over });

  it("at and beyond pause_after_failures, only while ACTIVE, never when off", () => {
    expect(pausesAt(job({ pauseAfterFailures: 3 }), 2)).toBe(false);
    expect(pausesAt(job({ pauseAfterFailures: 3 }), 3)).toBe(true);
    // Set after the count had grown past it: the next failure pauses.
    expect(pausesAt(job({ pauseAfterFailures: 3 }), 7)).toBe(true);
    expect(pausesAt(job({}), 1000)).toBe(false);
    expect(pausesAt(job({ pauseAfterFailures: 0 }), 1000)).toBe(false);
    expect(pausesAt(job({ pauseAfterFailures: 1, status: "PAUSED" }), 5)).toBe(false);
    expect(pausesAt(job({ pauseAfterFailures: 1, status: "FINISHED" }), 5)).toBe(false);
  });

  it("records the pause as the system's, with a one-line note a pause accepts", () => {
    expect(FAILURE_PAUSER).toBe("system:pause-after-failures");
    const note = failurePauseNote(3, "job_x:1000:2", "HTTP 500 from http://t/\nbody: oops\t!");
    expect(note).toBe(
      "3 consecutive failed runs; last: job_x:1000:2: HTTP 500 from http://t/ body: oops !",
    );
    expect(() => validateNote(note)).not.toThrow();
    expect(failurePauseNote(1, "job_x:1:1", "")).toBe("1 consecutive failed run; last: job_x:1:1");
    const long = failurePauseNote(5, "job_x:1:1", "é".repeat(2000));
    expect([...long]).toHaveLength(PAUSE_NOTE_MAX);
    expect(long.endsWith("…")).toBe(true);
    expect(() => validateNote(long)).not.toThrow();
  });

  it("takes 0 (off) to 1000, naming the field", () => {
    expect(invalidField(() => validatePauseAfterFailures(0))).toBeUndefined();
    expect(
      invalidField(() => validatePauseAfterFailures(PAUSE_AFTER_FAILURES_MAX)),
    ).toBeUndefined();
    expect(invalidField(() => validatePauseAfterFailures(1001))).toBe("pause_after_failures");
    expect(invalidField(() => validatePauseAfterFailures(1.5))).toBe("pause_after_failures");
  });
});

describe("remaining_runs", () => {
  it("a claim fires what is left, the earliest first, and the one that spends the last finishes the job", () => {
    expect(spendRuns([10], undefined)).toEqual({ runs: [10], finishes: false });
    expect(spendRuns([10], 3)).toEqual({ runs: [10], left: 2, finishes: false });
    expect(spendRuns([10], 1)).toEqual({ runs: [10], left: 0, finishes: true });
    // A catch-up of four runs with two left: the two earliest fire.
    expect(spendRuns([10, 20, 30, 40], 2)).toEqual({ runs: [10, 20], left: 0, finishes: true });
    // Nothing left (data written by hand): nothing fires, the job finishes.
    expect(spendRuns([10], 0)).toEqual({ runs: [], left: 0, finishes: true });
  });

  it("a FINISHED job fires again only with runs left (or no limit)", () => {
    expect(hasRunsLeft(undefined)).toBe(true);
    expect(hasRunsLeft(2)).toBe(true);
    expect(hasRunsLeft(0)).toBe(false);
  });

  it("takes 1 to 1,000,000, naming the field", () => {
    expect(invalidField(() => validateRemainingRuns(1))).toBeUndefined();
    expect(invalidField(() => validateRemainingRuns(REMAINING_RUNS_MAX))).toBeUndefined();
    expect(invalidField(() => validateRemainingRuns(0))).toBe("remaining_runs");
    expect(invalidField(() => validateRemainingRuns(1_000_001))).toBe("remaining_runs");
  });
});

describe("a run of outcomes through the rules", () => {
  /**
   * The store as the worker drives it: the count, the failing mark, and the
   * job's status; returns what each outcome led to (pause, recovered).
   */
  function play(outcomes: Array<FinalOutcome | "resume">, pauseAfterFailures: number) {
    let count = 0;
    let failing = false;
    let status: Job["status"] = "ACTIVE";
    const events: string[] = [];
    for (const o of outcomes) {
      if (o === "resume") {
        status = "ACTIVE";
        count = 0; // ResumeJob: the count only; the job is failing still
        events.push("resume");
        continue;
      }
      const write = streakWrite(o, failing);
      if (write === "count") {
        count++;
        failing = true;
        if (pausesAt({ status, pauseAfterFailures }, count)) {
          status = "PAUSED";
          events.push(`paused at ${count}`);
        } else events.push(`count ${count}`);
      } else if (write === "clear") {
        events.push(`recovered from ${count}`);
        count = 0;
        failing = false;
      } else events.push("-");
    }
    return events;
  }

  it("counts failures in a row, pauses at the limit, and the first success after a resume recovers", () => {
    expect(
      play(
        [
          "succeeded",
          "failed",
          "dead",
          "succeeded",
          "failed",
          "failed",
          "failed",
          "resume",
          "succeeded",
          "succeeded",
        ],
        3,
      ),
    ).toEqual([
      "-",
      "count 1",
      "count 2",
      "recovered from 2",
      "count 1",
      "count 2",
      "paused at 3",
      "resume",
      "recovered from 0",
      "-",
    ]);
  });
});
