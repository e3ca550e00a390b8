#!/usr/bin/env bash
# Runs a command with the project's Node (>= 22; see node.sh) first on PATH, for the
# package.json scripts that start node: `bash deploy/local/with-node.sh tsx loadtest/bench.ts`.
set -euo pipefail
source "$(dirname "$0")/node.sh"
exec "$@"
