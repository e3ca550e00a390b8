#!/usr/bin/env bash
# `npm run dev`: installs what is missing (etcd, Java check, npm packages), then
# runs the whole system locally (deploy/local/dev.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The pinned AWS SDK runs on Node 20; its notice about future releases is noise here.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
[ -d node_modules ] || npm ci --no-audit --no-fund
bash deploy/local/install-backends.sh
exec npx tsx deploy/local/dev.ts "$@"
