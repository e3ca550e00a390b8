import { describe, expect, it } from "vitest";
import { type DesiredJob, diffFields, planApply, updateOf } from "../../../src/core/apply-plan.js";
import { ChronoringError } from "../../../src/core/errors.js";
import { APPLY_MAX_JOBS, checkApplyRequest } from "../../../src/core/job-apply.js";
import type { JobInput } from "../../../src/core/job-input.js";
import { parseSchedule } from "../../../src/core/schedule/index.js";
import { compileTargetAllow } from "../../../src/core/target-address.js";
import { makeJob } from "../../support/jobs.js";

const NOW = Date.UTC(2026, 5, 1);
const CHECKS = { emailEnabled: false, targetAllow: compileTargetAllow([]) };

function input(key: string, over: Partial<JobInput> = {}): JobInput & { externalKey: string } {
  return {
    name: `job ${key}`,
    owner: "team",
    tags: [],
    schedule: { cron: "0 3 * * *", timeZone: "UTC" },
    target: { type: "noop", sleepMs: 0 },
    externalKey: key,
    ...over,
  };
}

const desired = (i: JobInput & { externalKey: string }): DesiredJob => ({
  input: i,
  schedule: parseSchedule(i.schedule, NOW),
});

/** The job a create of `i` would have stored. */
function stored(i: JobInput & { externalKey: string }, version = 3) {
  return makeJob(8, {
    name: i.name,
    owner: i.owner,
    tags: i.tags,
    schedule: parseSchedule(i.schedule, NOW - 86_400_000),
    target: i.target,
    externalKey: i.externalKey,
    applyNamespace: "ns",
    version,
  });
}

describe("planApply: create, update with a field diff, delete with prune, unchanged", () => {
  it("creates what is new, leaves what is equal, updates what differs, in the request's order", () => {
    const same = input("same");
    const changed = input("changed");
    const plan = planApply(
      [
        desired(input("new")),
        desired(same),
        desired({ ...changed, schedule: { cron: "0 4 * * *", timeZone: "UTC" } }),
      ],
      [stored(same), stored(changed)],
      false,
    );
    expect(plan.entries.map((e) => [e.key, e.action])).toEqual([
      ["new", "CREATE"],
      ["same", "UNCHANGED"],
      ["changed", "UPDATE"],
    ]);
    expect(plan.entries[2]?.changes).toEqual([
      { path: "schedule.source", old: '"0 3 * * *"', new: '"0 4 * * *"' },
    ]);
    expect(plan.counts).toEqual({ CREATE: 1, UPDATE: 1, DELETE: 0, UNCHANGED: 1 });
  });

  it("deletes the namespace's jobs the request no longer names only with prune, by key", () => {
    const jobs = [stored(input("z-gone")), stored(input("a-gone")), stored(input("kept"))];
    const want = [desired(input("kept"))];
    expect(planApply(want, jobs, false).counts.DELETE).toBe(0);
    const plan = planApply(want, jobs, true);
    expect(plan.entries.map((e) => [e.key, e.action])).toEqual([
      ["kept", "UNCHANGED"],
      ["a-gone", "DELETE"],
      ["z-gone", "DELETE"],
    ]);
  });

  it("an interval without a start is equal though parsed at another time; defaults count as set", () => {
    const every = input("every", { schedule: { interval: "5m" } });
    const explicit = input("prio", { priority: "MEDIUM", notifications: [] });
    const plan = planApply(
      [desired(every), desired(explicit)],
      [stored(every), stored(input("prio"))],
      false,
    );
    expect(plan.entries.map((e) => e.action)).toEqual(["UNCHANGED", "UNCHANGED"]);
  });

  it("the diff names nested fields in snake case, shows absent sides as absent, hides secrets", () => {
    const before = { target: { type: "webhook", url: "https://a", secret: "s1", timeoutMs: 1 } };
    const after = {
      target: { type: "webhook", url: "https://b", secret: "s2" },
      retryPolicy: { maxAttempts: 3 },
    };
    expect(diffFields(before, after)).toEqual([
      { path: "target.url", old: '"https://a"', new: '"https://b"' },
      { path: "target.secret", old: '"(secret)"', new: '"(secret)"' },
      { path: "target.timeout_ms", old: "1" },
      { path: "retry_policy.max_attempts", new: "3" },
    ]);
  });

  it("an update changes only the top-level fields whose leaves differ; removed ones are cleared", () => {
    const was = { ...stored(input("k", { tags: ["a"] })), limits: { overlap: "SKIP" as const } };
    const now = input("k", { tags: ["b"], name: "renamed" });
    const [entry] = planApply([desired(now)], [was], false).entries;
    expect(entry?.action).toBe("UPDATE");
    expect(updateOf(entry!)).toEqual({ name: "renamed", tags: ["b"], limits: null });
  });

  it("remaining_runs is compared as granted, not as left: a second apply grants nothing", () => {
    const asked = input("k", { remainingRuns: 5, pauseAfterFailures: 3 });
    // Two of its five runs fired since the first apply.
    const live = { ...stored(asked), remainingRuns: 3, grantedRuns: 5, pauseAfterFailures: 3 };
    expect(planApply([desired(asked)], [live], false).entries[0]?.action).toBe("UNCHANGED");
    const more = input("k", { remainingRuns: 10, pauseAfterFailures: 3 });
    const [raise] = planApply([desired(more)], [live], false).entries;
    expect(raise?.changes).toEqual([{ path: "remaining_runs", old: "5", new: "10" }]);
    expect(updateOf(raise!)).toEqual({ remainingRuns: 10 });
    const [none] = planApply([desired(input("k"))], [live], false).entries;
    expect(none?.changes.map((c) => c.path)).toEqual(["pause_after_failures", "remaining_runs"]);
    expect(updateOf(none!)).toEqual({ pauseAfterFailures: 0, remainingRuns: null });
  });
});

function refusedField(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChronoringError && err.kind === "invalid_argument") return err.field;
    throw err;
  }
  throw new Error("expected invalid_argument");
}

describe("checkApplyRequest: each bad input is invalid_argument naming its field", () => {
  const request = (jobs: JobInput[], namespace = "ns") => ({
    namespace,
    jobs,
    prune: false,
    dryRun: false,
  });
  it.each([
    ["an empty namespace", request([], ""), "namespace"],
    ["a namespace over 64 characters", request([], "n".repeat(65)), "namespace"],
    ["a namespace with a space", request([], "my ns"), "namespace"],
    [
      "too many jobs",
      request(Array.from({ length: APPLY_MAX_JOBS + 1 }, (_, i) => input(`k${i}`))),
      "jobs",
    ],
    [
      "a job without a key",
      request([input("a"), { ...input("b"), externalKey: undefined }]),
      "jobs[1].external_key",
    ],
    ["a key over 128 characters", request([input("k".repeat(129))]), "jobs[0].external_key"],
    ["a key with a bad character", request([input("a b")]), "jobs[0].external_key"],
    ["a repeated key", request([input("a"), input("b"), input("a")]), "jobs[2].external_key"],
    [
      "an idempotency key",
      request([input("a", { idempotencyKey: "x" })]),
      "jobs[0].idempotency_key",
    ],
    [
      "a relative schedule",
      request([input("a", { schedule: { afterMs: 1000 } })]),
      "jobs[0].schedule.after",
    ],
    ["a bad job field", request([input("a"), input("b", { owner: "" })]), "jobs[1].owner"],
  ])("%s", (_name, req, field) => {
    expect(refusedField(() => checkApplyRequest(req, CHECKS))).toBe(field);
  });

  it("accepts a good request, and no jobs at all (a prune of everything)", () => {
    expect(() => checkApplyRequest(request([input("a"), input("b")]), CHECKS)).not.toThrow();
    expect(() => checkApplyRequest(request([]), CHECKS)).not.toThrow();
  });
});
