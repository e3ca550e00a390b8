#!/usr/bin/env bash
# Fails when proto/ breaks the API that main has (buf breaking, the rules of buf.yaml), as
# the CI workflow's buf job does. Needs a local branch main to compare with: in a clone
# without one (a shallow or single-branch checkout) it says so and passes; so it does when
# proto/ is as on main. buf ships in the npm package @bufbuild/buf and runs offline.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! git rev-parse --verify --quiet main >/dev/null 2>&1; then
  echo "buf breaking: skipped, this clone has no branch main to compare with"
  exit 0
fi
if git diff --quiet main -- proto buf.yaml; then
  echo "buf breaking: proto/ is as on main"
  exit 0
fi
npx buf breaking --against '.git#branch=main'
echo "buf breaking: proto/ keeps the API of main"
