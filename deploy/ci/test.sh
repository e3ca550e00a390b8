#!/usr/bin/env bash
# The whole test suite, as the README's `npm test` runs it: installs the local
# backends when missing, checks that gen/ matches proto/, typechecks, lints,
# looks for import cycles, builds dist/, then runs unit, integration and e2e
# tests against real etcd, DynamoDB Local and the SQS emulator. Everything runs
# on Node >= 22: the pinned Node 24, fetched into .tools/node on a machine whose
# node is older (deploy/local/node.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/node.sh

# Each step's wall time, printed as a table at the end (also when a step fails), so that a
# slow step shows in the log of any run.
timings=()
step_name=""
step_start=0
now_ms() { date +%s%3N; }
step_done() {
  [ -n "$step_name" ] && timings+=("$(printf '%6.1f s  %s' "$(((($(now_ms) - step_start)) / 100))e-1" "$step_name")")
  step_name=""
}
step() {
  step_done
  step_name="$*"
  step_start=$(now_ms)
  printf '\n== %s\n' "$*"
}
suite_start=$(now_ms)
summary() {
  local rc=$?
  step_done
  printf '\n== step times (rc %s)\n' "$rc"
  printf '%s\n' "${timings[@]}"
  printf '%6.1f s  total\n' "$(((($(now_ms) - suite_start)) / 100))e-1"
}
trap summary EXIT

step "node $(node -v), dependencies installed"
# npm ci: exactly the lock. The lock holds every platform's optional packages
# (Biome's, esbuild's), as npm install writes it; without them npm ci refuses it.
[ -d node_modules ] || npm ci --no-audit --no-fund

step "backends installed"
bash deploy/local/install-backends.sh

step "generated code is current"
bash deploy/ci/check-generated.sh

step "API compatible with main (buf breaking)"
bash deploy/ci/check-breaking.sh

step "typecheck"
npx tsc -p tsconfig.json

step "typecheck the admin UI"
npx tsc -p ui/tsconfig.json

step "typecheck the k6 scripts (k6's types; k6 itself is not installed here)"
npx tsc -p clients/k6/tsconfig.json

step "lint"
npx biome check --error-on-warnings .

step "import cycles"
npx madge --circular --extensions ts --ts-config tsconfig.json src

step "production build (dist/ with the admin UI in dist/ui; the e2e test of the built output runs it)"
npm run build

step "unit and integration tests (three files at a time: most of their time is waiting on the backends)"
npx vitest run --config test/vitest.config.ts --project unit --project integration --maxWorkers=3 "$@"

step "e2e tests (several processes, faults injected; two untimed files at a time, then the timed ones alone)"
npx vitest run --config test/vitest.config.ts --project e2e-paired --project e2e "$@"
