/**
 * Orders runs due together round-robin by tenant: the first run of each
 * tenant, then the second of each, and so on, each tenant's runs in their
 * own order. A tenant with thousands of runs due at one instant then cannot
 * put another tenant's few behind all of its own in the queue: those go out
 * among the first sent (docs/tenants-and-quotas.md).
 */
export function interleaveByTenant<T extends { tenant?: string }>(runs: readonly T[]): T[] {
  const byTenant = new Map<string, T[]>();
  for (const run of runs) {
    const key = run.tenant ?? "";
    const list = byTenant.get(key);
    if (list) list.push(run);
    else byTenant.set(key, [run]);
  }
  if (byTenant.size <= 1) return [...runs];
  const lists = [...byTenant.values()];
  const out: T[] = [];
  for (let i = 0; out.length < runs.length; i++) {
    for (const list of lists) {
      const run = list[i];
      if (run !== undefined) out.push(run);
    }
  }
  return out;
}
