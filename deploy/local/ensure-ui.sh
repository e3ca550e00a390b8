#!/usr/bin/env bash
# Builds the admin UI (npm run build:ui → dist/ui) when dist/ui/index.html is
# missing or older than anything under ui/ or gen/ (the UI's sources), so that
# `npm run dev` and `npm test` serve the UI of the code checked out.
set -euo pipefail
cd "$(dirname "$0")/../.."
index=dist/ui/index.html
if [ -f "$index" ] && [ -z "$(find ui gen package-lock.json -newer "$index" -type f -print -quit)" ]; then
  exit 0
fi
npm run --silent build:ui
