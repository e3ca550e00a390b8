#!/usr/bin/env bash
# The whole test suite, as the README's `npm test` runs it: installs the local
# backends when missing, checks that gen/ matches proto/, typechecks, lints,
# looks for import cycles, then runs unit, integration and e2e tests against
# real etcd, DynamoDB Local and the SQS emulator.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The pinned AWS SDK runs on Node 20; its notice about future releases is noise here.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

step() { printf '\n== %s\n' "$*"; }

step "dependencies installed"
# npm install, not npm ci: npm 11 leaves the other platforms' optional
# packages (Biome's, esbuild's) out of package-lock.json, and npm ci then
# refuses the lock. The lock still pins every version installed here.
[ -d node_modules ] || npm install --no-audit --no-fund

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

step "admin UI built (dist/ui, rebuilt when ui/ is newer)"
bash deploy/local/ensure-ui.sh

step "typecheck the k6 scripts (k6's types; k6 itself is not installed here)"
npx tsc -p clients/k6/tsconfig.json

step "lint"
npx biome check --error-on-warnings .

step "import cycles"
npx madge --circular --extensions ts --ts-config tsconfig.json src

step "unit and integration tests"
npx vitest run --config test/vitest.config.ts --project unit --project integration "$@"

step "e2e tests (several processes, faults injected; one file at a time)"
npx vitest run --config test/vitest.config.ts --project e2e "$@"
