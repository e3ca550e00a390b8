import { describe, expect, it } from "vitest";
import type { Backfill } from "../../src/core/backfill/index.js";
import { newBackfillId, newJobId } from "../../src/core/ids.js";
import type { BackfillStore } from "../../src/core/ports/backfill-store.js";
import { ALL_TENANTS } from "../../src/core/tenant.js";

export type BackfillStoreFactory = (label: string) => Promise<BackfillStore>;

const T0 = Date.UTC(2026, 5, 1);

function makeBackfill(more: Partial<Backfill> = {}): Backfill {
  return {
    id: newBackfillId(T0),
    tenant: "acme",
    jobId: newJobId(T0),
    mode: "MISSING",
    order: "OLDEST_FIRST",
    fromMs: T0 - 3_600_000,
    toMs: T0,
    maxConcurrent: 5,
    state: "RUNNING",
    schedule: { kind: "interval", source: "1m", periodMs: 60_000, anchorMs: T0 },
    nominalTotal: 60,
    cursorMs: T0 - 3_600_000,
    inFlight: [],
    counts: { selected: 7, sent: 0, started: 0, succeeded: 0, failed: 0, skipped: 0 },
    createdMs: T0,
    updatedMs: T0,
    createdBy: "ops",
    version: 1,
    ...more,
  };
}

/**
 * What the backfill commands and driver rely on from every `BackfillStore`:
 * a record comes back as written, in its tenant only; a write applies only
 * over the version before it (two writers: one wins); a job's backfills are
 * listed newest first in pages; the active list holds the records the
 * driver still has work on, and no others.
 */
export function backfillStoreContract(adapter: string, factory: BackfillStoreFactory): void {
  describe(`BackfillStore: ${adapter}`, () => {
    it("keeps a record as written, in its tenant only; a taken id is already_exists", async () => {
      const store = await factory("bf-get");
      const b = makeBackfill({
        inFlight: [
          { nominalMs: T0 - 60_000, fireMs: T0 - 59_000, attempt: 2, sentMs: T0, started: true },
        ],
        endedMs: T0 + 5,
        cancelledBy: "someone",
        error: "why",
      });
      await store.create(b);
      expect(await store.get("acme", b.id)).toEqual(b);
      expect(await store.get(ALL_TENANTS, b.id)).toEqual(b);
      expect(await store.get("globex", b.id)).toBeUndefined();
      await expect(store.create(b)).rejects.toMatchObject({ kind: "already_exists" });
    });

    it("saves only over the version before it: of two writers of one version, one wins", async () => {
      const store = await factory("bf-save");
      const b = makeBackfill();
      await store.create(b);
      const a1 = { ...b, cursorMs: b.cursorMs + 1, version: 2 };
      const a2 = { ...b, state: "CANCELLED" as const, version: 2 };
      const results = await Promise.all([store.save(a1), store.save(a2)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get("acme", b.id))?.version).toBe(2);
      expect(await store.save({ ...b, version: 5 })).toBe(false);
    });

    it("lists a job's backfills newest first, in pages, and the active ones oldest first", async () => {
      const store = await factory("bf-list");
      const jobId = newJobId(T0);
      const made = [0, 1, 2].map((i) =>
        makeBackfill({ jobId, id: newBackfillId(T0 + i), createdMs: T0 + i * 1000 }),
      );
      for (const b of made) await store.create(b);
      await store.create(makeBackfill({ jobId: newJobId(T0) }));
      const first = await store.listByJob("acme", jobId, 2);
      expect(first.items.map((b) => b.id)).toEqual([made[2]!.id, made[1]!.id]);
      const second = await store.listByJob("acme", jobId, 2, first.nextToken);
      expect(second.items.map((b) => b.id)).toEqual([made[0]!.id]);
      expect(second.nextToken).toBeUndefined();
      expect((await store.listByJob("globex", jobId, 10)).items).toEqual([]);

      // Ended: off the active list; cancelled with runs out: still on it.
      await store.save({ ...made[0]!, state: "DONE", version: 2 });
      const out = [{ nominalMs: T0, fireMs: T0, attempt: 1, sentMs: T0 }];
      await store.save({ ...made[1]!, state: "CANCELLED", inFlight: out, version: 2 });
      const active = (await store.listActive(100)).filter((b) => b.jobId === jobId);
      expect(active.map((b) => [b.id, b.state])).toEqual([
        [made[1]!.id, "CANCELLED"],
        [made[2]!.id, "RUNNING"],
      ]);
    });
  });
}
