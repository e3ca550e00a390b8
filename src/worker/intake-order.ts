import type { Delivery } from "../core/ports/work-queue.js";
import { PRIORITIES, type Priority, priorityOf } from "../core/priority.js";
import { receiveOrder } from "./priority-order.js";

/** The tenant key of a run whose message carried none (sent before tenancy). */
const UNKNOWN_TENANT = "";

/** The tenant a waiting run is filed under. */
export function tenantOf(delivery: Delivery): string {
  return delivery.run.tenant ?? UNKNOWN_TENANT;
}

/**
 * The order in which a worker starts the runs it received and holds waiting
 * (pure: no queue, no timers). Start number n takes from the priority
 * `receiveOrder(n)` names first, falling through to the others highest first
 * (the same weighted cycle as the receives: HIGH 4 in 7, MEDIUM 2, LOW 1
 * while each has runs waiting). Within a priority the tenants take turns,
 * one run each, first come first served within a tenant; a tenant `blocked`
 * says may not start now (its concurrency share is taken on this worker) is
 * passed over and keeps its runs and its turn.
 */
export interface IntakeOrder {
  add(delivery: Delivery): void;
  /** Removes and returns the next run to start; undefined when none may start. */
  next(blocked: (tenant: string) => boolean): Delivery | undefined;
  /** Removes and returns up to `n` of `tenant`'s runs, the last received first. */
  takeLast(tenant: string, n: number): Delivery[];
  /** Removes and returns every waiting run. */
  drain(): Delivery[];
  /** Runs waiting now, all tenants or one. */
  size(tenant?: string): number;
  /** Every waiting run (for the visibility heartbeat). */
  all(): Delivery[];
  /** Tenants with runs waiting. */
  tenants(): string[];
}

export function createIntakeOrder(): IntakeOrder {
  /** Per priority, per tenant, the runs in arrival order; a Map's order is the tenants' turn. */
  const lanes = new Map<Priority, Map<string, Delivery[]>>(
    PRIORITIES.map((p) => [p, new Map<string, Delivery[]>()]),
  );
  const perTenant = new Map<string, number>();
  let total = 0;
  let starts = 0;

  function count(tenant: string, by: number): void {
    const n = (perTenant.get(tenant) ?? 0) + by;
    if (n > 0) perTenant.set(tenant, n);
    else perTenant.delete(tenant);
    total += by;
  }

  return {
    add(delivery) {
      const lane = lanes.get(priorityOf(delivery.priority))!;
      const tenant = tenantOf(delivery);
      const runs = lane.get(tenant);
      if (runs) runs.push(delivery);
      else lane.set(tenant, [delivery]);
      count(tenant, 1);
    },
    next(blocked) {
      if (total === 0) return undefined;
      for (const priority of receiveOrder(starts)) {
        const lane = lanes.get(priority)!;
        for (const [tenant, runs] of lane) {
          if (blocked(tenant)) continue;
          const delivery = runs.shift()!;
          // The tenant goes to the back of the turn (or leaves it, emptied).
          lane.delete(tenant);
          if (runs.length) lane.set(tenant, runs);
          count(tenant, -1);
          starts++;
          return delivery;
        }
      }
      return undefined;
    },
    takeLast(tenant, n) {
      const out: Delivery[] = [];
      for (const priority of [...PRIORITIES].reverse()) {
        const lane = lanes.get(priority)!;
        const runs = lane.get(tenant);
        while (runs?.length && out.length < n) out.push(runs.pop()!);
        if (runs && runs.length === 0) lane.delete(tenant);
      }
      count(tenant, -out.length);
      return out;
    },
    drain() {
      const out = this.all();
      for (const lane of lanes.values()) lane.clear();
      perTenant.clear();
      total = 0;
      return out;
    },
    size(tenant) {
      return tenant === undefined ? total : (perTenant.get(tenant) ?? 0);
    },
    all() {
      return [...lanes.values()].flatMap((lane) => [...lane.values()].flat());
    },
    tenants() {
      return [...perTenant.keys()];
    },
  };
}
