#!/usr/bin/env bash
# `npm run dev`: installs what is missing (etcd, Java check, npm packages), then
# runs the whole system locally (deploy/local/dev.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The pinned AWS SDK runs on Node 20; its notice about future releases is noise here.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# npm install, not npm ci: npm 11 leaves the other platforms' optional
# packages (Biome's, esbuild's) out of package-lock.json, and npm ci then
# refuses the lock. The lock still pins every version installed here.
[ -d node_modules ] || npm install --no-audit --no-fund
bash deploy/local/install-backends.sh
bash deploy/local/ensure-ui.sh
exec npx tsx deploy/local/dev.ts "$@"
