import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Every `chronoring_*` metric defined in src/ (prom-client's `name: "..."`). */
export function definedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) {
        for (const [, name] of readFileSync(path, "utf8").matchAll(/name: "(chronoring_\w+)"/g)) {
          names.add(name!);
        }
      }
    }
  };
  walk(join(ROOT, "src"));
  return names;
}

/**
 * The metric names a PromQL expression reads that src/ does not define
 * (a histogram's `_bucket`, `_count` and `_sum` belong to it).
 */
export function undefinedMetrics(expr: string, defined: Set<string>): string[] {
  const read = expr.match(/chronoring_\w+/g) ?? [];
  return read.filter(
    (name) => !defined.has(name) && !defined.has(name.replace(/_(bucket|count|sum)$/, "")),
  );
}

/** A file of the repository, read as text. */
export function repoFile(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

export const REPO_ROOT = ROOT;
