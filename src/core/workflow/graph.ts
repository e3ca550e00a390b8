/**
 * Pure DAG logic of workflows: validation with a topological sort (Kahn), and
 * the rule deciding which nodes of a run are ready, skipped or done.
 */
import { invalidArgument } from "../errors.js";
import type { NodeRunStatus, WorkflowRunStatus } from "./workflow.js";

export const NODES_MAX = 100;
export const NODE_KEY_PATTERN = /^[a-z0-9_-]{1,64}$/;

export interface GraphNode {
  key: string;
  dependsOn: readonly string[];
}

/**
 * Checks keys and edges, then orders the nodes so that every node comes after
 * its upstreams. Throws invalid_argument naming the field: `nodes` (none, too
 * many, a cycle: the message spells it, e.g. `cycle: a → b → a`),
 * `nodes[i].key` (bad or duplicate), `nodes[i].depends_on[j]` (unknown or repeated key).
 */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  if (nodes.length === 0) throw invalidArgument("nodes", "at least one node is required");
  if (nodes.length > NODES_MAX) throw invalidArgument("nodes", `at most ${NODES_MAX} nodes`);
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (!NODE_KEY_PATTERN.test(node.key)) {
      throw invalidArgument(`nodes[${i}].key`, "1 to 64 characters of [a-z0-9_-]");
    }
    if (index.has(node.key))
      throw invalidArgument(`nodes[${i}].key`, `duplicate key "${node.key}"`);
    index.set(node.key, i);
  });
  nodes.forEach((node, i) => {
    const seen = new Set<string>();
    node.dependsOn.forEach((dep, j) => {
      const field = `nodes[${i}].depends_on[${j}]`;
      if (!index.has(dep)) throw invalidArgument(field, `no node has key "${dep}"`);
      if (seen.has(dep)) throw invalidArgument(field, `"${dep}" is listed twice`);
      seen.add(dep);
    });
  });
  // Kahn: repeatedly take the nodes whose upstreams are all placed.
  const waiting = new Map(nodes.map((n) => [n.key, new Set(n.dependsOn)]));
  const order: string[] = [];
  let ready = nodes.filter((n) => n.dependsOn.length === 0).map((n) => n.key);
  while (ready.length > 0) {
    order.push(...ready);
    const placed = new Set(ready);
    ready = [];
    for (const [key, deps] of waiting) {
      if (deps.size === 0) continue;
      for (const p of placed) deps.delete(p);
      if (deps.size === 0) ready.push(key);
    }
  }
  if (order.length < nodes.length) {
    const left = nodes.filter((n) => (waiting.get(n.key)?.size ?? 0) > 0);
    throw invalidArgument("nodes", `cycle: ${findCycle(left).join(" → ")}`);
  }
  return order;
}

/**
 * A cycle among `left` (the nodes Kahn could not place: each still waits for
 * one of them), as keys with the first repeated at the end. Walking upstream
 * from any of them must revisit a node; the walk from there is the cycle.
 */
function findCycle(left: readonly GraphNode[]): string[] {
  const byKey = new Map(left.map((n) => [n.key, n]));
  const path: string[] = [];
  const at = new Map<string, number>();
  let key = left[0]!.key;
  while (!at.has(key)) {
    at.set(key, path.length);
    path.push(key);
    const node = byKey.get(key)!;
    key = node.dependsOn.find((d) => byKey.has(d))!;
  }
  // The walk went downstream → upstream; print the cycle in edge direction.
  const cycle = path.slice(at.get(key)).reverse();
  return [...cycle, cycle[0]!];
}

/** What to do next in a workflow run, given each node's status. */
export interface Advance {
  /** PENDING nodes whose upstreams all SUCCEEDED: queue them. */
  ready: string[];
  /** PENDING nodes with a FAILED or SKIPPED upstream, transitively: they will not run. */
  skipped: string[];
  /** The run's outcome once every node is terminal (after `skipped`); absent before. */
  done?: Exclude<WorkflowRunStatus, "RUNNING">;
}

/**
 * The "who is ready" rule. A node runs when all its upstreams SUCCEEDED in
 * the same run; a failed upstream skips the whole downstream, so a run always
 * ends with every node SUCCEEDED, FAILED or SKIPPED.
 */
export function advance(
  nodes: readonly GraphNode[],
  status: ReadonlyMap<string, NodeRunStatus>,
): Advance {
  const st = new Map(status);
  const skipped: string[] = [];
  // Repeat until nothing changes: nodes need not be in topological order.
  for (let changed = true; changed; ) {
    changed = false;
    for (const node of nodes) {
      if (st.get(node.key) !== "PENDING") continue;
      if (node.dependsOn.some((d) => st.get(d) === "FAILED" || st.get(d) === "SKIPPED")) {
        st.set(node.key, "SKIPPED");
        skipped.push(node.key);
        changed = true;
      }
    }
  }
  const ready = nodes
    .filter(
      (n) => st.get(n.key) === "PENDING" && n.dependsOn.every((d) => st.get(d) === "SUCCEEDED"),
    )
    .map((n) => n.key);
  const all = nodes.map((n) => st.get(n.key));
  const terminal = all.every((s) => s === "SUCCEEDED" || s === "FAILED" || s === "SKIPPED");
  if (!terminal) return { ready, skipped };
  return { ready, skipped, done: all.every((s) => s === "SUCCEEDED") ? "SUCCEEDED" : "FAILED" };
}
