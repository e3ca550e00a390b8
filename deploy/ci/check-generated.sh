#!/usr/bin/env bash
# Fails when gen/ differs from what `npm run generate` makes from proto/.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx buf lint
npx buf generate --template buf.gen.yaml -o "$tmp"
if ! diff -r "$tmp/gen" gen >/dev/null; then
  diff -r "$tmp/gen" gen | head -40 || true
  echo "gen/ is stale: run 'npm run generate' and commit the result" >&2
  exit 1
fi
echo "gen/ matches proto/"
