import { describe, expect, it } from "vitest";
import {
  CLAIMABLE_STATUSES,
  canStart,
  claimsMore,
  RECORD_PRUNE_AT,
  recordMayStay,
  recordReplaceable,
  recoveryDeadline,
  runsVoidedBy,
  startableStatuses,
  statusAfterClaim,
  triggerRecoveryDeadline,
} from "../../../src/core/claim-rules.js";
import type { JobStatus } from "../../../src/core/job.js";
import { seededRandom } from "../../support/random.js";

const ALL: JobStatus[] = ["ACTIVE", "PAUSED", "CANCELLED", "FINISHED"];
const TIMEOUT = 60_000;

describe("which job states allow a claim, a start and more claims", () => {
  it("claims a scheduled run from an ACTIVE job only", () => {
    expect(ALL.filter((st) => CLAIMABLE_STATUSES.includes(st))).toEqual(["ACTIVE"]);
  });

  it("starts a scheduled run of an ACTIVE or FINISHED job, not of a PAUSED or CANCELLED one", () => {
    const scheduled = { manual: false };
    expect(ALL.filter((st) => canStart(st, scheduled))).toEqual(["ACTIVE", "FINISHED"]);
    expect(startableStatuses(scheduled)).toEqual(["ACTIVE", "FINISHED"]);
  });

  it("starts a manual run of a PAUSED job too, never of a CANCELLED one", () => {
    const manual = { manual: true };
    expect(ALL.filter((st) => canStart(st, manual))).toEqual(["ACTIVE", "PAUSED", "FINISHED"]);
  });

  it("finishes a job whose claim leaves no next run", () => {
    expect(statusAfterClaim(undefined)).toBe("FINISHED");
    expect(statusAfterClaim(5_000)).toBe("ACTIVE");
  });

  it("keeps watching only a job that can still claim runs", () => {
    expect(claimsMore("ACTIVE", 5_000)).toBe(true);
    expect(claimsMore("ACTIVE", undefined)).toBe(false);
    expect(claimsMore("PAUSED", 5_000)).toBe(false);
    expect(claimsMore("FINISHED", undefined)).toBe(false);
  });
});

describe("recoveryDeadline: the deadline a claim records", () => {
  const now = 1_000_000;

  it("takes the claim's own deadline when none is pending", () => {
    expect(
      recoveryDeadline({
        pendingMs: undefined,
        ownMs: now + TIMEOUT,
        nowMs: now,
        startTimeoutMs: TIMEOUT,
      }),
    ).toBe(now + TIMEOUT);
  });

  it("keeps an earlier pending deadline, even one just due, so later claims cannot postpone the sweep", () => {
    expect(
      recoveryDeadline({
        pendingMs: now,
        ownMs: now + TIMEOUT,
        nowMs: now,
        startTimeoutMs: TIMEOUT,
      }),
    ).toBe(now);
    expect(
      recoveryDeadline({
        pendingMs: now - 10,
        ownMs: now + TIMEOUT,
        nowMs: now,
        startTimeoutMs: TIMEOUT,
      }),
    ).toBe(now - 10);
  });

  it("takes the claim's own when it is earlier than the pending one", () => {
    expect(
      recoveryDeadline({
        pendingMs: now + 5 * TIMEOUT,
        ownMs: now + TIMEOUT,
        nowMs: now,
        startTimeoutMs: TIMEOUT,
      }),
    ).toBe(now + TIMEOUT);
  });

  it("replaces a pending deadline older than a whole start timeout as stale", () => {
    expect(
      recoveryDeadline({
        pendingMs: now - TIMEOUT,
        ownMs: now + TIMEOUT,
        nowMs: now,
        startTimeoutMs: TIMEOUT,
      }),
    ).toBe(now + TIMEOUT);
  });

  it("is never later than the claim's own deadline, and is the pending one or the claim's own", () => {
    const random = seededRandom(15);
    for (let i = 0; i < 1_000; i++) {
      const pendingMs = random() < 0.2 ? undefined : Math.floor(random() * 2 * now);
      const ownMs = now + Math.floor(random() * 2 * TIMEOUT);
      const got = recoveryDeadline({ pendingMs, ownMs, nowMs: now, startTimeoutMs: TIMEOUT });
      expect(got).toBeLessThanOrEqual(ownMs);
      expect([pendingMs, ownMs]).toContain(got);
    }
  });
});

describe("triggerRecoveryDeadline: the deadline TriggerJob records", () => {
  const now = 1_000_000;

  it("keeps a pending deadline still ahead when it is earlier than its own", () => {
    const own = now + TIMEOUT;
    expect(triggerRecoveryDeadline({ pendingMs: now + 10, ownMs: own, nowMs: now })).toBe(now + 10);
    expect(triggerRecoveryDeadline({ pendingMs: now + 2 * TIMEOUT, ownMs: own, nowMs: now })).toBe(
      own,
    );
    expect(triggerRecoveryDeadline({ pendingMs: undefined, ownMs: own, nowMs: now })).toBe(own);
  });

  it("replaces a passed one, even one just due: the sweep may have left the record behind its cursor", () => {
    for (const pendingMs of [now, now - 10, now - TIMEOUT + 1, now - 10 * TIMEOUT]) {
      expect(triggerRecoveryDeadline({ pendingMs, ownMs: now + TIMEOUT, nowMs: now })).toBe(
        now + TIMEOUT,
      );
    }
  });
});

describe("recordMayStay: when the sweep leaves a record whose runs all started unwritten", () => {
  const now = 1_000_000;
  const LOOKAHEAD = 1_000;
  const base = {
    active: true,
    recordedRuns: 1,
    nowMs: now,
    lookaheadMs: LOOKAHEAD,
    startTimeoutMs: TIMEOUT,
  };

  it("leaves a finished job's record, whatever it holds", () => {
    expect(recordMayStay({ ...base, active: false, nextRunMs: undefined, recordedRuns: 50 })).toBe(
      true,
    );
  });

  it("leaves an active job's record when its next claim comes more than a start timeout on", () => {
    expect(recordMayStay({ ...base, nextRunMs: now + 3_600_000 })).toBe(true);
    expect(recordMayStay({ ...base, nextRunMs: now + LOOKAHEAD + TIMEOUT + 1 })).toBe(true);
  });

  it("writes the record of a job claimed again within a start timeout, or with no next run known", () => {
    expect(recordMayStay({ ...base, nextRunMs: now + LOOKAHEAD + TIMEOUT })).toBe(false);
    expect(recordMayStay({ ...base, nextRunMs: now + 1_000 })).toBe(false);
    expect(recordMayStay({ ...base, nextRunMs: undefined })).toBe(false);
  });

  it(`writes a record that holds ${RECORD_PRUNE_AT} runs, to take them out`, () => {
    const far = now + 3_600_000;
    expect(recordMayStay({ ...base, nextRunMs: far, recordedRuns: RECORD_PRUNE_AT - 1 })).toBe(
      true,
    );
    expect(recordMayStay({ ...base, nextRunMs: far, recordedRuns: RECORD_PRUNE_AT })).toBe(false);
  });

  it("a record left so has its passed deadline replaced by the next claim, whenever within its look-ahead it comes", () => {
    const random = seededRandom(16);
    for (let i = 0; i < 2_000; i++) {
      const pendingMs = now - Math.floor(random() * 3 * TIMEOUT);
      const nextRunMs = now + Math.floor(random() * 4 * TIMEOUT);
      if (!recordMayStay({ ...base, nextRunMs })) continue;
      // The claim of the next run: no sooner than the look-ahead before it.
      const claimAt = nextRunMs - LOOKAHEAD + Math.floor(random() * 2 * TIMEOUT);
      const ownMs = Math.max(nextRunMs, claimAt) + TIMEOUT;
      const got = recoveryDeadline({
        pendingMs,
        ownMs,
        nowMs: claimAt,
        startTimeoutMs: TIMEOUT,
      });
      expect(got).toBe(ownMs);
    }
  });
});

describe("recordReplaceable: when a claim replaces the job's record", () => {
  const checked = { fromMs: 1_000, toMs: 5_000 };

  it("when the record's deadline lies in what this node's sweeps checked", () => {
    expect(recordReplaceable({ pendingMs: 1_001, checked })).toBe(true);
    expect(recordReplaceable({ pendingMs: 5_000, checked })).toBe(true);
  });

  it("not for a deadline the sweeps did not reach yet, nor one before the first of them, nor none", () => {
    expect(recordReplaceable({ pendingMs: 5_001, checked })).toBe(false);
    expect(recordReplaceable({ pendingMs: 1_000, checked })).toBe(false);
    expect(recordReplaceable({ pendingMs: undefined, checked })).toBe(false);
  });

  it("not before this node's first sweep of the partition, nor for a claimer without sweeps", () => {
    expect(recordReplaceable({ pendingMs: 2_000, checked: undefined })).toBe(false);
  });
});

describe("runsVoidedBy: the claimed runs a stop ends CANCELLED before it answers", () => {
  const job = { tenant: "t", id: "j", partition: 3 };
  const record = { scheduled: [1_000, 2_000], manual: [1_500] };
  const voided = (status: JobStatus) =>
    runsVoidedBy(job, { ...record, status }).map((r) => [r.scheduledMs, r.manual]);

  it("a pause voids the scheduled runs, not the triggered ones (they run while paused)", () => {
    expect(voided("PAUSED")).toEqual([
      [1_000, false],
      [2_000, false],
    ]);
  });

  it("a cancel voids every run of the record, triggered ones too", () => {
    expect(voided("CANCELLED")).toEqual([
      [1_000, false],
      [2_000, false],
      [1_500, true],
    ]);
  });

  it("voids nothing of a job that may start them (resumed before the record was read)", () => {
    expect(voided("ACTIVE")).toEqual([]);
    expect(voided("FINISHED")).toEqual([]);
  });

  it("names each run as its claim sent it: attempt 1, in the job's tenant and partition", () => {
    expect(runsVoidedBy(job, { status: "CANCELLED", scheduled: [7], manual: [] })).toEqual([
      { tenant: "t", jobId: "j", partition: 3, scheduledMs: 7, attempt: 1, manual: false },
    ]);
  });

  it("is exactly the record's runs that canStart refuses, for every status", () => {
    for (const status of ALL) {
      const all = [
        ...record.scheduled.map((scheduledMs) => ({ scheduledMs, manual: false })),
        ...record.manual.map((scheduledMs) => ({ scheduledMs, manual: true })),
      ];
      const refused = all.filter((r) => !canStart(status, r));
      expect(voided(status)).toEqual(refused.map((r) => [r.scheduledMs, r.manual]));
    }
  });
});
