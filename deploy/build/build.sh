#!/usr/bin/env bash
# `npm run build`: compiles src/ and gen/ to JavaScript in dist/ (tsconfig.build.json),
# for production's `node dist/main.js`: no tsx, no dev dependencies.
#
# Layout: dist/ mirrors the repository (dist/src/…, dist/gen/…), because src/ imports the
# generated code as ../gen/… and ../../gen/… and gen/ stays where buf writes it. So every
# relative import, and every path taken from import.meta.url (the dispatch thread's module),
# holds in dist/ as in the sources. The process entries sit on top: dist/main.js starts
# src/main.js, dist/healthcheck.js runs src/healthcheck.js (the image's HEALTHCHECK).
# The admin UI is built beside them into dist/ui (vite; served at /ui/ by the api role).
#
# `--no-check` emits without checking types (tsc --noCheck; the same files): for npm test,
# whose typecheck of tsconfig.json checks these sources beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
check=()
case "${1:-}" in
  "") ;;
  --no-check) check=(--noCheck) ;;
  *) echo "build.sh: unknown option $1 (only --no-check)" >&2; exit 2 ;;
esac
rm -rf dist
npx tsc -p tsconfig.build.json "${check[@]}"
for entry in main healthcheck; do
  printf '// Process entry: see deploy/build/build.sh.\nimport "./src/%s.js";\n' "$entry" >"dist/$entry.js"
done
npm run --silent build:ui
echo "build: dist/ ($(find dist -name '*.js' | wc -l) files); start with: node dist/main.js"
