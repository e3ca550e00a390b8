#!/usr/bin/env node
// `chronoring`, the operator CLI (docs/cli.md). In a checkout it runs the sources
// (src/cli/main.ts through tsx, a dev dependency), so it is never older than the code
// beside it; where there are no sources or no tsx (a production install: `npm ci
// --omit=dev` and `npm run build`'s dist/) it runs the built CLI: dist/cli/main.js
// (a build rooted at src/) or dist/src/cli/main.js (one rooted at the repository).
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const source = `${root}src/cli/main.ts`;
const built = [`${root}dist/cli/main.js`, `${root}dist/src/cli/main.js`].find((f) => existsSync(f));

async function tsx() {
  try {
    return await import("tsx/esm/api");
  } catch {
    return undefined;
  }
}

const api = existsSync(source) ? await tsx() : undefined;
if (api) {
  api.register();
  await import(pathToFileURL(source).href);
} else if (built) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write(
    "chronoring: found neither src/cli/main.ts with tsx (npm install) nor dist/ (npm run build)\n",
  );
  process.exit(1);
}
