import type { QuotaChange, TenantRecord } from "../tenant-quota.js";
import type { Page } from "./job-store.js";

/**
 * Tenants' quotas and counters. A tenant's record is made by its first job
 * that takes an active-schedule slot (JobStore.createJob with a slot) or by
 * an admin setting a quota; the slot counter changes only in the same
 * transactions as the jobs that take or give back a slot.
 */
export interface TenantStore {
  /** Undefined when the tenant has no record yet (no quota set, no slot taken). */
  get(tenant: string): Promise<TenantRecord | undefined>;
  /** Every tenant with a record, in no particular order. */
  list(pageSize: number, pageToken?: string): Promise<Page<TenantRecord>>;
  /** Sets (a number, 0 = unlimited) or clears (null: the default again) quotas. */
  setQuotas(tenant: string, change: QuotaChange, nowMs: number): Promise<TenantRecord>;
  /**
   * Gives back the slots of the tenant's jobs that finished by themselves
   * (the claim of their last run made them FINISHED, which writes nothing
   * to the tenant) and whose end (`SlotChange.untilMs`) is at or before
   * `nowMs` (the caller looks a little ahead: a claim finishes a one-time
   * job before its run's time). Returns how many it gave back.
   */
  freeFinished(tenant: string, nowMs: number): Promise<number>;
}
