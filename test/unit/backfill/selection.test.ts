/**
 * Which times each backfill mode selects, as which attempt, and what became
 * of a run a backfill sent: pure rules over a ledger fire and the attempts
 * stored at its instant.
 */

import { describe, expect, it } from "vitest";
import { isFinal, progressOf, selectRun } from "../../../src/core/backfill/index.js";
import type { Execution, ExecutionStatus } from "../../../src/core/execution.js";
import type { FireOutcome, LedgerFire } from "../../../src/core/fire-ledger/index.js";

const T = Date.UTC(2026, 0, 10, 3, 0);
const NOW = T + 3_600_000;
const JOB = "job_aaaaaaaaaaaaaaaaaaaaaaaaaa";

/** A fire of the ledger; `fireMs` null: the schedule's rules drop it. */
function fire(outcome: FireOutcome, fireMs: number | null = T): LedgerFire {
  return {
    nominalMs: T,
    local: "",
    outcome,
    ...(fireMs !== null ? { fireMs } : {}),
    notes: [],
  };
}

function attempt(n: number, status: ExecutionStatus, more: Partial<Execution> = {}): Execution {
  return {
    id: `${JOB}:${T}:${n}`,
    tenant: "default",
    jobId: JOB,
    partition: 0,
    scheduledMs: T,
    attempt: n,
    manual: false,
    status,
    ...more,
  };
}

describe("selectRun", () => {
  it("MISSING: a time with no record runs as attempt 1; one with any record, or still pending, does not", () => {
    for (const outcome of ["MISSED", "MERGED", "SKIPPED_PAUSED"] as const) {
      expect(selectRun(fire(outcome), undefined, "MISSING", NOW)).toMatchObject({
        nominalMs: T,
        fireMs: T,
        attempt: 1,
        outcome,
      });
    }
    expect(selectRun(fire("PENDING"), undefined, "MISSING", NOW)).toBeUndefined();
    expect(selectRun(fire("STARTED"), [attempt(1, "FAILED")], "MISSING", NOW)).toBeUndefined();
    expect(
      selectRun(fire("SKIPPED_OVERLAP"), [attempt(1, "SKIPPED")], "MISSING", NOW),
    ).toBeUndefined();
  });

  it("FAILED: a run that ended FAILED or DEAD with no retry to come runs as the next attempt", () => {
    expect(selectRun(fire("STARTED"), [attempt(1, "FAILED")], "FAILED", NOW)).toMatchObject({
      attempt: 2,
      lastStatus: "FAILED",
    });
    const retried = [
      attempt(1, "FAILED", { nextAttemptMs: T + 1 }),
      attempt(2, "FAILED"),
      attempt(3, "DEAD"),
    ];
    expect(selectRun(fire("STARTED"), retried, "FAILED", NOW)).toMatchObject({
      attempt: 4,
      lastStatus: "DEAD",
    });
    // A retry is to come: the run is not over.
    expect(
      selectRun(fire("STARTED"), [attempt(1, "FAILED", { nextAttemptMs: T + 1 })], "FAILED", NOW),
    ).toBeUndefined();
    expect(selectRun(fire("STARTED"), [attempt(1, "SUCCEEDED")], "FAILED", NOW)).toBeUndefined();
    expect(selectRun(fire("MISSED"), undefined, "FAILED", NOW)).toBeUndefined();
  });

  it("ALL: every time whose run is over (attempt n+1) or that has none (attempt 1); not one still going", () => {
    expect(selectRun(fire("STARTED"), [attempt(1, "SUCCEEDED")], "ALL", NOW)?.attempt).toBe(2);
    expect(selectRun(fire("SKIPPED_OVERLAP"), [attempt(1, "SKIPPED")], "ALL", NOW)?.attempt).toBe(
      2,
    );
    expect(selectRun(fire("MISSED"), undefined, "ALL", NOW)?.attempt).toBe(1);
    for (const status of ["RUNNING", "QUEUED", "SCHEDULED"] as const) {
      expect(selectRun(fire("STARTED"), [attempt(1, status)], "ALL", NOW)).toBeUndefined();
    }
    expect(selectRun(fire("PENDING"), undefined, "ALL", NOW)).toBeUndefined();
  });

  it("never a time the schedule's rules drop, nor one whose run fires after now", () => {
    for (const mode of ["MISSING", "FAILED", "ALL"] as const) {
      expect(selectRun(fire("SKIPPED_CALENDAR", null), undefined, mode, NOW)).toBeUndefined();
      expect(selectRun(fire("DST_FOLDED", null), undefined, mode, NOW)).toBeUndefined();
      expect(selectRun(fire("MISSED", NOW + 1), undefined, mode, NOW)).toBeUndefined();
    }
  });
});

describe("a sent run's progress", () => {
  it("counts the attempt sent and the ones after it, not the time's history before", () => {
    const history = [attempt(1, "FAILED"), attempt(2, "DEAD")];
    expect(progressOf(history, 3)).toEqual({ recorded: false, started: false });
    expect(progressOf([...history, attempt(3, "QUEUED")], 3)).toEqual({
      recorded: true,
      started: false,
    });
    expect(progressOf([...history, attempt(3, "RUNNING", { startedMs: T })], 3)).toEqual({
      recorded: true,
      started: true,
    });
    const retried = [
      attempt(3, "FAILED", { startedMs: T, nextAttemptMs: T + 5 }),
      attempt(4, "SUCCEEDED", { startedMs: T + 5 }),
    ];
    expect(progressOf([...history, ...retried], 3)).toEqual({
      recorded: true,
      started: true,
      ended: "succeeded",
    });
    expect(progressOf([attempt(1, "CANCELLED")], 1).ended).toBe("failed");
  });

  it("a FAILED attempt is final only without a retry to come", () => {
    expect(isFinal({ status: "FAILED" })).toBe(true);
    expect(isFinal({ status: "FAILED", nextAttemptMs: 1 })).toBe(false);
    expect(isFinal({ status: "RUNNING" })).toBe(false);
    expect(isFinal({ status: "SKIPPED" })).toBe(true);
  });
});
