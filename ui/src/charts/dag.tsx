/**
 * A workflow's DAG as SVG: nodes in columns by topological depth (longest
 * path from a root), edges from each dependency; coloured by a run's
 * per-node status when one is given.
 */
import type { WorkflowNode } from "../../../gen/chronoring/v1/workflow_service_pb.js";
import { depths } from "./dag-layout.js";

const NODE_W = 140;
const NODE_H = 34;
const GAP_X = 60;
const GAP_Y = 18;

export function Dag({ nodes, status }: { nodes: WorkflowNode[]; status?: Map<string, string> }) {
  const depth = depths(nodes);
  const columns: WorkflowNode[][] = [];
  for (const n of nodes) {
    const d = depth.get(n.key) ?? 0;
    columns[d] = [...(columns[d] ?? []), n];
  }
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => {
    col.forEach((n, r) => {
      pos.set(n.key, { x: 10 + c * (NODE_W + GAP_X), y: 10 + r * (NODE_H + GAP_Y) });
    });
  });
  const w = 20 + columns.length * (NODE_W + GAP_X) - GAP_X;
  const h = 20 + Math.max(1, ...columns.map((c) => c?.length ?? 0)) * (NODE_H + GAP_Y) - GAP_Y;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label="Workflow graph" data-testid="dag">
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class="edge-head" />
          </marker>
        </defs>
        {nodes.flatMap((n) =>
          n.dependsOn.map((dep) => {
            const a = pos.get(dep);
            const b = pos.get(n.key);
            if (!a || !b) return null;
            return (
              <line
                key={`${dep}->${n.key}`}
                class="edge"
                x1={a.x + NODE_W}
                y1={a.y + NODE_H / 2}
                x2={b.x}
                y2={b.y + NODE_H / 2}
                marker-end="url(#arrow)"
              />
            );
          }),
        )}
        {nodes.map((n) => {
          const p = pos.get(n.key);
          if (!p) return null;
          const s = status?.get(n.key);
          return (
            <g key={n.key} class={`node ${s ? `s-${s}` : ""}`}>
              <title>{`${n.key}${s ? `: ${s}` : ""}`}</title>
              <rect x={p.x} y={p.y} width={NODE_W} height={NODE_H} rx={6} />
              <text x={p.x + 8} y={p.y + 21}>
                {(n.name || n.key).slice(0, 16)}
                {s ? ` · ${s}` : ""}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
