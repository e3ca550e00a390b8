/**
 * The benches' verdict on stored executions: start lateness counted from the
 * attempt that succeeded, and from the first attempt that started (the
 * handler's first invocation), which differ for a run whose worker died.
 */
import { describe, expect, it } from "vitest";
import { type ExecutionRow, judge } from "../../../loadtest/harness/verdict.js";

const T0 = Date.UTC(2030, 0, 1);

describe("bench verdict", () => {
  it("counts a re-queued run's start from its succeeded attempt, and its first start apart", () => {
    const rows: ExecutionRow[] = [
      { jobId: "a", scheduled: T0, attempt: 1, st: "SUCCEEDED", queued: T0, started: T0 + 10 },
      // Its worker was killed mid-run; the re-queued attempt started 2.5 s late.
      { jobId: "b", scheduled: T0, attempt: 1, st: "FAILED", queued: T0, started: T0 + 20 },
      { jobId: "b", scheduled: T0, attempt: 2, st: "SUCCEEDED", started: T0 + 2_500 },
    ];
    const v = judge(rows, ["a", "b"], { startMs: T0, endMs: T0 + 1000 }, new Map());
    expect(v).toMatchObject({ missed: 0, duplicates: 0, requeued: 1 });
    expect(v.start_lateness_ms.max).toBe(2_500);
    expect(v.first_start_lateness_ms.max).toBe(20);
    expect(v.first_start_lateness_ms.p50).toBe(10);
  });
});
