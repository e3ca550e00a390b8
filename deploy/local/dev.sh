#!/usr/bin/env bash
# `npm run dev`: installs what is missing (Node >= 22, etcd, Java check, npm
# packages), then runs the whole system locally (deploy/local/dev.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The pinned Node 24 first on PATH when the system node is older (node.sh).
source deploy/local/node.sh
# npm ci: exactly the lock (it holds every platform's optional packages).
[ -d node_modules ] || npm ci --no-audit --no-fund
bash deploy/local/install-backends.sh
bash deploy/local/ensure-ui.sh
exec npx tsx deploy/local/dev.ts "$@"
