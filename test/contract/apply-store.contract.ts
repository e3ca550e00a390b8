import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import { makeJob } from "../support/jobs.js";
import type { JobStoreFactory } from "./job-store.contract.js";

const LEASE = 60_000;

/**
 * What ApplyJobs relies on from every `JobStore`: an external key held by
 * one live job of a tenant (racing creates: one wins), freed by the cancel
 * that gives it back, invisible to other tenants; a namespace's apply that
 * starts only at the generation read and while no live lease is held.
 */
export function applyStoreContract(adapter: string, factory: JobStoreFactory): void {
  describe(`JobStore external keys and apply namespaces: ${adapter}`, () => {
    it("two racing creates of one key: exactly one wins, the other is already_exists naming external_key", async () => {
      const { jobs, partitions } = await factory("xkey-race");
      const key = `race-${Date.now()}`;
      const a = makeJob(partitions, { externalKey: key });
      const b = makeJob(partitions, { externalKey: key });
      const results = await Promise.allSettled([jobs.createJob(a), jobs.createJob(b)]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ kind: "already_exists", field: "external_key" });
      const holder = await jobs.getJobByExternalKey(DEFAULT_TENANT, key);
      expect([a.id, b.id]).toContain(holder?.id);
      expect(holder?.externalKey).toBe(key);
    });

    it("a cancel that releases the key frees it for a new job; other tenants never see it", async () => {
      const { jobs, partitions } = await factory("xkey-free");
      const key = `free-${Date.now()}`;
      const first = makeJob(partitions, { externalKey: key });
      await jobs.createJob(first);
      expect(await jobs.getJobByExternalKey("other", key)).toBeUndefined();
      // Another tenant may hold the same key.
      await jobs.createJob(makeJob(partitions, { tenant: "other", externalKey: key }));
      await expect(jobs.createJob(makeJob(partitions, { externalKey: key }))).rejects.toMatchObject(
        {
          kind: "already_exists",
        },
      );
      await jobs.updateJob(
        DEFAULT_TENANT,
        first.id,
        { status: "CANCELLED", nextRunMs: null, releaseKey: key },
        { version: 1 },
        Date.now(),
      );
      expect(await jobs.getJobByExternalKey(DEFAULT_TENANT, key)).toBeUndefined();
      const second = makeJob(partitions, { externalKey: key });
      await jobs.createJob(second);
      expect((await jobs.getJobByExternalKey(DEFAULT_TENANT, key))?.id).toBe(second.id);
      const listed = await jobs.listJobs(DEFAULT_TENANT, { externalKey: key, pageSize: 10 });
      expect(listed.items.map((j) => j.id).sort()).toEqual([first.id, second.id].sort());
    });

    it("lists a namespace's jobs only", async () => {
      const { jobs, partitions } = await factory("xkey-ns");
      const ns = `ns-${Date.now()}`;
      const inside = makeJob(partitions, { externalKey: `${ns}-a`, applyNamespace: ns });
      await jobs.createJob(inside);
      await jobs.createJob(makeJob(partitions, { externalKey: `${ns}-b` }));
      const listed = await jobs.listJobs(DEFAULT_TENANT, { applyNamespace: ns, pageSize: 10 });
      expect(listed.items.map((j) => j.id)).toEqual([inside.id]);
      expect(listed.items[0]?.applyNamespace).toBe(ns);
    });

    it("starts an apply only at the generation read and while no live lease is held", async () => {
      const { jobs } = await factory("apply-lease");
      const ns = `lease-${Date.now()}`;
      const now = Date.now();
      expect(await jobs.applyGeneration(DEFAULT_TENANT, ns)).toBe(0);
      const start = { generation: 0, untilMs: now + LEASE, nowMs: now };
      const won = await Promise.all([
        jobs.beginApply(DEFAULT_TENANT, ns, { ...start, token: "a" }),
        jobs.beginApply(DEFAULT_TENANT, ns, { ...start, token: "b" }),
      ]);
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await jobs.applyGeneration(DEFAULT_TENANT, ns)).toBe(1);
      // Held: refused even at the current generation, until it ends.
      const next = { generation: 1, untilMs: now + LEASE, nowMs: now, token: "c" };
      expect(await jobs.beginApply(DEFAULT_TENANT, ns, next)).toBe(false);
      // Another tenant's namespace of the same name is its own.
      expect(await jobs.applyGeneration("other", ns)).toBe(0);
      const holder = won[0] ? "a" : "b";
      await jobs.endApply(DEFAULT_TENANT, ns, "not-the-holder");
      expect(await jobs.beginApply(DEFAULT_TENANT, ns, next)).toBe(false);
      await jobs.endApply(DEFAULT_TENANT, ns, holder);
      expect(await jobs.beginApply(DEFAULT_TENANT, ns, { ...next, generation: 0 })).toBe(false);
      expect(await jobs.beginApply(DEFAULT_TENANT, ns, next)).toBe(true);
      // A lease whose holder died ends by itself.
      const later = { generation: 2, untilMs: now + 3 * LEASE, nowMs: now + 2 * LEASE, token: "d" };
      expect(await jobs.beginApply(DEFAULT_TENANT, ns, later)).toBe(true);
    });
  });
}
