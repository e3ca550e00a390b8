# syntax=docker/dockerfile:1
#
# One image for every role: CHRONORING_ROLES (api, scheduler, worker; default all three)
# chooses what a container runs, every other setting is a CHRONORING_* variable
# (src/config/config.ts). See README.md, "Production build and image".
#
#   docker build -t chronoring .
#   docker run --read-only --tmpfs /tmp -p 7070:7070 -e CHRONORING_ROLES=api,scheduler \
#     -e CHRONORING_ETCD_ENDPOINTS=... -e CHRONORING_DYNAMODB_ENDPOINT= -e CHRONORING_SQS_ENDPOINT= \
#     -e CHRONORING_AWS_LOCAL_CREDENTIALS=false -e CHRONORING_AWS_REGION=eu-west-1 \
#     -e CHRONORING_AUTH_JWKS=... -e CHRONORING_AUTH_ISSUER=... -e CHRONORING_AUTH_AUDIENCE=... \
#     chronoring
#
# The runtime layout is tested without Docker: test/e2e/production-build.test.ts makes the
# same one (package.json + lock, `npm ci --omit=dev --ignore-scripts`, the built dist/),
# read-only, runs it as a non-root user, fires a job through it with an api+scheduler and a
# worker process (auth on, a JWKS file and a minted token), runs dist/healthcheck.js and stops
# it with SIGTERM. Keep the steps of the
# deps and runtime stages the same as that test's (test/support/prod-layout.ts).
#
# The Node version is the one deploy/local/node.sh pins (a unit test checks they agree).

# --- build: dev dependencies, tsc and vite → dist/ ----------------------------------------------------
FROM node:24.22.3-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY deploy/build deploy/build
COPY gen gen
COPY src src
COPY ui ui
RUN npm run build

# --- deps: production dependencies only, exactly the lock ----------------------------------
FROM node:24.22.3-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime ---------------------------------------------------------------------------------
FROM node:24.22.3-bookworm-slim AS runtime
# tini as PID 1: forwards SIGTERM to node (which drains, src/main.ts) and reaps the
# children that script jobs leave. npm, npx, corepack and yarn are not needed to run.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
WORKDIR /app
# Owned by root, not writable by the user the app runs as. The app writes no files; TMPDIR
# and HOME point the commands that script jobs run at /tmp. So the root filesystem can be
# read-only: --read-only with --tmpfs /tmp, or readOnlyRootFilesystem and an emptyDir on /tmp.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
ENV NODE_ENV=production \
  TMPDIR=/tmp \
  HOME=/tmp \
  CHRONORING_API_HOST=0.0.0.0 \
  CHRONORING_METRICS_PORT=9090
# The image's own non-root user (uid 1000).
USER node
# 7070: the API, /metrics and /healthz (api role); 9090: /metrics and /healthz without it.
EXPOSE 7070 9090
# Node itself asks /healthz (slim has no curl), on the listener the same settings give.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/dist/healthcheck.js"]
# SIGTERM (docker stop) drains: the API stops taking calls, the scheduler sends what is due,
# the worker finishes its runs. Give it time: docker stop --time 30, or
# terminationGracePeriodSeconds in Kubernetes.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "dist/main.js"]
