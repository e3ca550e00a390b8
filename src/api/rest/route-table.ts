/**
 * The routing table built from the bindings: an HTTP method and a raw path
 * to the binding that serves them and its path variables. When several
 * templates fit a path, the most specific win (literal segments and a verb
 * over variables); a path they fit with other methods only is told apart
 * (405 with `Allow`) from one nothing fits (404).
 */

import type { Binding } from "./bindings.js";
import { matchTemplate, specificity } from "./path-template.js";

export type RouteMatch =
  | { kind: "found"; binding: Binding; variables: Map<string, string> }
  | { kind: "method_not_allowed"; allowed: string[] }
  | { kind: "not_found" };

export interface RouteTable {
  readonly bindings: readonly Binding[];
  match(httpMethod: string, rawPath: string): RouteMatch;
}

export class RouteConflictError extends Error {}

export function createRouteTable(bindings: readonly Binding[]): RouteTable {
  // Most specific first, so the first binding that fits is the one to serve.
  const ordered = [...bindings].sort((a, b) => specificity(b.template) - specificity(a.template));
  const seen = new Map<string, Binding>();
  for (const b of ordered) {
    const key = `${b.httpMethod} ${b.template.source.replace(/\{[^}]*\}/g, "{}")}`;
    const other = seen.get(key);
    if (other) {
      throw new RouteConflictError(
        `${key} is bound twice: ${other.rpc.parent.typeName}/${other.rpc.name} and ${b.rpc.parent.typeName}/${b.rpc.name}`,
      );
    }
    seen.set(key, b);
  }
  return {
    bindings: ordered,
    match(httpMethod, rawPath) {
      // Only the most specific templates that fit count: GET /v1/jobs/x:pause
      // is a POST-only path (405), not GetJob of the id "x:pause".
      let level: number | undefined;
      const allowed = new Set<string>();
      for (const binding of ordered) {
        const rank = specificity(binding.template);
        if (level !== undefined && rank < level) break;
        const variables = matchTemplate(binding.template, rawPath);
        if (!variables) continue;
        level = rank;
        if (binding.httpMethod === httpMethod) return { kind: "found", binding, variables };
        allowed.add(binding.httpMethod);
      }
      return allowed.size > 0
        ? { kind: "method_not_allowed", allowed: [...allowed].sort() }
        : { kind: "not_found" };
    },
  };
}
