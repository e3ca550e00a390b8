/** The scheduler's calendar cache: one read per calendar per TTL, stale copies kept on a failed refresh. */

import pino from "pino";
import { describe, expect, it } from "vitest";
import type { CalendarStore } from "../../../src/core/ports/calendar-store.js";
import type { Calendar } from "../../../src/core/time-policy.js";
import { createCalendarCache } from "../../../src/scheduler/calendar-cache.js";
import { fakeClock } from "../../support/fake-clock.js";

function calendar(dates: string[]): Calendar {
  return {
    name: "h",
    description: "",
    excludedDates: dates,
    excludedWeekdays: [],
    version: 1,
    createdMs: 0,
    updatedMs: 0,
  };
}

function store(): CalendarStore & { reads: number; current?: Calendar; failing: boolean } {
  const s = {
    reads: 0,
    current: calendar(["2026-12-25"]) as Calendar | undefined,
    failing: false,
    async getCalendar(tenant: string) {
      s.reads++;
      if (s.failing) throw new Error("store down");
      // Tenant "b" has no calendars: a name is looked up in its tenant only.
      return tenant === "b" ? undefined : s.current;
    },
  };
  return s as unknown as CalendarStore & { reads: number; current?: Calendar; failing: boolean };
}

describe("calendar cache", () => {
  const logger = pino({ level: "silent" });

  it("reads a calendar once per TTL and sees a change after it", async () => {
    const clock = fakeClock(0);
    const s = store();
    const cache = createCalendarCache({ store: s, clock, ttlMs: 1000, logger });
    await cache.load([
      { tenant: "a", name: "h" },
      { tenant: "a", name: "h" },
    ]);
    await cache.load([{ tenant: "a", name: "h" }]);
    expect(s.reads).toBe(1);
    s.current = calendar(["2026-12-26"]);
    clock.advance(999);
    await cache.load([{ tenant: "a", name: "h" }]);
    expect(cache.get("a", "h")?.excludedDates).toEqual(["2026-12-25"]);
    clock.advance(1);
    await cache.load([{ tenant: "a", name: "h" }]);
    expect(s.reads).toBe(2);
    expect(cache.get("a", "h")?.excludedDates).toEqual(["2026-12-26"]);
  });

  it("keeps the cached copy when a refresh fails, and fails without one", async () => {
    const clock = fakeClock(0);
    const s = store();
    const cache = createCalendarCache({ store: s, clock, ttlMs: 1000, logger });
    await cache.load([{ tenant: "a", name: "h" }]);
    s.failing = true;
    clock.advance(5000);
    await cache.load([{ tenant: "a", name: "h" }]);
    expect(cache.get("a", "h")?.excludedDates).toEqual(["2026-12-25"]);
    await expect(cache.load([{ tenant: "a", name: "other" }])).rejects.toThrow("store down");
  });

  it("remembers a calendar that does not exist (no date excluded)", async () => {
    const clock = fakeClock(0);
    const s = store();
    s.current = undefined;
    const cache = createCalendarCache({ store: s, clock, ttlMs: 1000, logger });
    await cache.load([{ tenant: "a", name: "gone" }]);
    await cache.load([{ tenant: "a", name: "gone" }]);
    expect(cache.get("a", "gone")).toBeUndefined();
    expect(s.reads).toBe(1);
  });

  it("keeps calendars of one name in two tenants apart", async () => {
    const clock = fakeClock(0);
    const s = store();
    const cache = createCalendarCache({ store: s, clock, ttlMs: 1000, logger });
    await cache.load([
      { tenant: "a", name: "h" },
      { tenant: "b", name: "h" },
    ]);
    expect(s.reads).toBe(2);
    expect(cache.get("a", "h")?.excludedDates).toEqual(["2026-12-25"]);
    expect(cache.get("b", "h")).toBeUndefined();
  });
});
