import HashRing from "hashring";

export const DEFAULT_VNODES = 160;

/** Partition → node for these live nodes; deterministic given the node ids (order of the input must not matter); [] nodes → throws. */
export function assignPartitions(
  nodes: string[],
  partitionCount: number,
  options: { vnodes?: number } = {},
): string[] {
  const vnodes = options.vnodes ?? DEFAULT_VNODES;
  if (!Number.isSafeInteger(partitionCount) || partitionCount < 0) {
    throw new RangeError(`partitionCount must be a non-negative integer, got ${partitionCount}`);
  }
  if (!Number.isSafeInteger(vnodes) || vnodes < 1) {
    throw new RangeError(`vnodes must be a positive integer, got ${vnodes}`);
  }
  const ids = [...new Set(nodes)].sort();
  if (ids.length === 0) throw new RangeError("cannot assign partitions to no nodes");

  const members: Record<string, { vnodes: number }> = Object.create(null);
  const nodeOf = new Map<string, string>();
  for (const id of ids) {
    const member = `node/${id}`;
    members[member] = { vnodes };
    nodeOf.set(member, id);
  }
  const ring = new HashRing(members, "md5", { "vnode count": 0 });

  const owners: string[] = [];
  for (let p = 0; p < partitionCount; p++) {
    const owner = nodeOf.get(ring.get(`partition-${p}`) ?? "");
    if (owner === undefined) throw new Error(`hash ring returned no node for partition ${p}`);
    owners.push(owner);
  }
  return owners;
}

/** The `since` array for a new assignment: keeps previous since[p] where the owner is unchanged, else 0. `previous` may be undefined (all 0). */
export function carrySince(
  previous: { owners: string[]; since: number[] } | undefined,
  owners: string[],
): number[] {
  return owners.map((owner, p) =>
    previous !== undefined && previous.owners[p] === owner ? (previous.since[p] ?? 0) : 0,
  );
}

/** Partitions that change owner between two assignments. */
export function movedPartitions(before: string[], after: string[]): number[] {
  const moved: number[] = [];
  for (let p = 0; p < Math.max(before.length, after.length); p++) {
    if (before[p] !== after[p]) moved.push(p);
  }
  return moved;
}

/** Partitions a node owns. */
export function partitionsOf(owners: string[], node: string): number[] {
  const owned: number[] = [];
  owners.forEach((owner, p) => {
    if (owner === node) owned.push(p);
  });
  return owned;
}
