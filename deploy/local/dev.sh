#!/usr/bin/env bash
# `npm run dev`: installs what is missing (etcd, Java check, npm packages), then
# runs the whole system locally (deploy/local/dev.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash deploy/local/install-backends.sh
exec npx tsx deploy/local/dev.ts "$@"
