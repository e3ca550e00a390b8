/**
 * The DAG picture's layout, pure: a node's column is its topological depth,
 * 0 for a root and else one more than its deepest dependency, so that every
 * edge points right.
 */

export interface LayoutNode {
  key: string;
  dependsOn: string[];
}

/** Depth of each node. Dependencies on unknown keys are ignored; a cycle does not loop. */
export function depths(nodes: LayoutNode[]): Map<string, number> {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const depth = new Map<string, number>();
  const visit = (key: string, seen: Set<string>): number => {
    const known = depth.get(key);
    if (known !== undefined) return known;
    if (seen.has(key)) return 0; // the server refuses cycles; a bad graph still draws
    seen.add(key);
    const deps = byKey.get(key)?.dependsOn.filter((d) => byKey.has(d)) ?? [];
    const d = deps.length ? 1 + Math.max(...deps.map((k) => visit(k, seen))) : 0;
    depth.set(key, d);
    return d;
  };
  for (const n of nodes) visit(n.key, new Set());
  return depth;
}
