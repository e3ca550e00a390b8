#!/usr/bin/env bash
# The whole test suite, as the README's `npm test` runs it: installs the local
# backends when missing, checks that gen/ matches proto/, typechecks, lints,
# looks for import cycles, builds dist/, then runs unit, integration and e2e
# tests against real etcd, DynamoDB Local and the SQS emulator. Everything runs
# on Node >= 22: the pinned Node 24, fetched into .tools/node on a machine whose
# node is older (deploy/local/node.sh).
#
# The checks before the tests run side by side (deploy/ci/tasks.sh): the backends'
# install waits on the network and dpkg, not the CPU, so it runs beside two lanes of
# CPU-bound checks (one per core of a small CI machine). Each check's output is printed
# whole, in a fixed order, once all are done; the table at the end gives each step's time.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/local/node.sh
source deploy/ci/tasks.sh
source deploy/ci/test-backends.sh
# V8's code cache for every node process of the run (the tests start hundreds: CLIs, nodes
# under tsx). Measured: a node under tsx started in 2.0 CPU-s with it, 2.6 without. Outside
# node_modules, whose presence decides whether npm ci runs below.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-${TMPDIR:-/tmp}/chronoring-node-compile}"

step "node $(node -v), dependencies installed (the backends' Debian packages install beside)"
title backends "backends installed"
lane task backends bash deploy/local/install-backends.sh --system-only
# npm ci: exactly the lock. The lock holds every platform's optional packages
# (Biome's, esbuild's), as npm install writes it; without them npm ci refuses it.
[ -d node_modules ] || npm ci --no-audit --no-fund

step "checks and the build, side by side"
title generated "generated code is current"
title breaking "API compatible with main (buf breaking)"
title typecheck "typecheck"
title typecheck-ui "typecheck the admin UI"
title typecheck-k6 "typecheck the k6 scripts (k6's types; k6 itself is not installed here)"
title lint "lint"
title cycles "import cycles"
title build "production build (dist/ with the admin UI in dist/ui; the e2e test of the built output runs it)"
# Two lanes of about equal CPU time (measured: typecheck 24 s, the UI's and k6's 8 s; generated
# code and lint 9 s, import cycles 7 s, the build 10 s with --no-check, 19 s without).
types() {
  task typecheck npx tsc -p tsconfig.json &&
    task typecheck-ui npx tsc -p ui/tsconfig.json &&
    task typecheck-k6 npx tsc -p clients/k6/tsconfig.json
}
# The build emits without checking types (--no-check): the typecheck beside it checks
# the same sources with the same options (tsconfig.build.json extends tsconfig.json).
others() {
  task generated bash deploy/ci/check-generated.sh &&
    task breaking bash deploy/ci/check-breaking.sh &&
    task lint npx biome check --error-on-warnings . &&
    task cycles npx madge --circular --extensions ts --ts-config tsconfig.json src &&
    task build bash deploy/build/build.sh --no-check
}
# Once installed, the backends of the unit and integration tiers start beside the checks
# (deploy/ci/test-backends.sh), unless the caller gave some in CHRONORING_TEST_ENDPOINTS.
# Their DynamoDB Local compiles with C1 only (--short-lived): less CPU over the tier's many
# short files. The e2e set below keeps the JVM's defaults: bench scale's short version plans
# its import on the store's speed, and under C1 it planned 88 s for an import of 29 s (the
# e2e tier took 460 s, not 382).
title backends-npm "the backends' npm packages installed"
backends() {
  local rc
  until [ -f "$task_dir/backends.done" ]; do sleep 0.2; done
  read -r rc _ <"$task_dir/backends.done"
  [ "$rc" = 0 ] &&
    task backends-npm bash deploy/local/install-backends.sh --npm-only &&
    if [ -z "${CHRONORING_TEST_ENDPOINTS:-}" ]; then start_backends tests --short-lived; fi
}
lane backends
lane types
lane others
wait_lanes
report backends backends-npm generated breaking typecheck typecheck-ui typecheck-k6 lint cycles build

# The tests' nodes start from that build (dist/, the same sources compiled), not under tsx:
# measured, a node reached its steady state in 3.2 CPU-s from dist/ and 4.4 under tsx.
# (deploy/local/chronoring-process.ts; vitest run by hand keeps tsx.)
export CHRONORING_TEST_BUILT=1

# Each tier has a fresh set of backends, started in the background before it is needed (an
# idle set costs nearly nothing). The e2e tier's is not the one the integration tier leaves
# behind: that holds ~1,400 tables, ~200 of them with time to live, whose expiry jobs share
# DynamoDB Local's index threads (test/e2e/dead-index-upgrade.test.ts).
# Four files at a time on 2 cores: each waits on the backends or its own clock for much of its
# time. Measured on a quiet machine, with the tests' schedulers on 2 s and 5 s backstops
# (test/support/backstops.ts): 3 at a time 320 s, 4 255 s, 5 256 s (more CPU, no shorter). Before
# those backstops (100 ms and 500 ms: an idle app alone kept 0.35 cores busy) 3 at a time took
# 348 s, and at 4 tests with 2 s etcd sessions or 500 ms bounds failed (the election test's own
# session lapsed during its campaign).
# The unit files (no backend, CPU only) run in a vitest of their own, one file at a time, beside
# the integration files, in the CPU those leave while they wait: measured, the integration files
# kept the 2 cores 67–82% busy, and the unit files after them took the tier's last 29 s. Beside
# them: the tier in 243 s, not 263, and 366 CPU-s, not 390. Their output is printed after the
# integration files', whole.
step "unit and integration tests (four integration files at a time, the unit files beside them one at a time)"
if [ -z "${CHRONORING_TEST_ENDPOINTS:-}" ]; then
  start_backends e2e
  use_backends tests
fi
title unit "unit tests (beside the integration tests)"
lane task unit npx vitest run --config test/vitest.config.ts --project unit --maxWorkers=1 --passWithNoTests "$@"
tier_rc=0
npx vitest run --config test/vitest.config.ts --project integration --maxWorkers=4 --passWithNoTests "$@" || tier_rc=$?
wait_lanes
report unit
[ "$tier_rc" = 0 ]

step "e2e tests (several processes, faults injected; two untimed files at a time, then the timed ones two at a time)"
if [ -n "${backend_sets[*]}" ]; then
  stop_backends tests
  use_backends e2e
fi
npx vitest run --config test/vitest.config.ts --project e2e-paired --project e2e --passWithNoTests "$@"
