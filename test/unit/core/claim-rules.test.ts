import { describe, expect, it } from "vitest";
import {
  CLAIMABLE_STATUSES,
  canStart,
  claimsMore,
  recoveryDeadline,
  startableStatuses,
  statusAfterClaim,
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

describe("recoveryDeadline: the deadline a claim or trigger records", () => {
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
