#!/usr/bin/env bash
# Prints the path of a k6 binary of the pinned version, building it first when it is missing, and
# creates the folder the load tests write their reports to (k6 does not create folders).
#   k6="$(bash scripts/ensure-k6.sh)" && "$k6" run loadtests/user-profiles.js
# k6 is packaged neither for Debian nor for npm, so it is built from source with the Go toolchain,
# fetching modules from the Go module proxy. The binary is cached outside the work tree
# (CACHELAB_CACHE_DIR, default ~/.cache/cachelab) so that fresh clones reuse it; changing the pinned
# version below rebuilds it. Progress goes to stderr, only the path to stdout.
set -euo pipefail

K6_VERSION="1.8.1"
# The `go` line of k6 v1.8.1's go.mod: an older toolchain refuses to build it.
K6_MIN_GO="1.25"

CACHELAB_CACHE_DIR="${CACHELAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cachelab}"
bin_dir="$CACHELAB_CACHE_DIR/bin"
k6="$bin_dir/k6"

say() { printf '\033[36m[cachelab]\033[0m %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

has_pinned_k6() {
  [ -x "$k6" ] && [ "$("$k6" version 2>/dev/null | awk 'NR == 1 { print $2 }')" = "v$K6_VERSION" ]
}

# "1.25.3" / "1.25" / "go1.26.8" -> "1.25" style major.minor, for comparisons with sort -V.
go_minor() { sed -E 's/^go//; s/^([0-9]+\.[0-9]+).*/\1/' <<<"$1"; }
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# The newest `go` among PATH, the go.dev tarball's usual place and Debian's versioned packages.
find_go() {
  local best="" best_v="0" candidate v
  for candidate in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go /usr/lib/go-*/bin/go; do
    if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
    v="$(go_minor "$(GOTOOLCHAIN=local "$candidate" env GOVERSION 2>/dev/null || echo 0)")"
    if version_at_least "$v" "$best_v" && [ "$v" != "$best_v" ]; then best="$candidate" best_v="$v"; fi
  done
  printf '%s' "$best"
}

# Installs a Debian Go package new enough for k6 (golang-go, or a versioned golang-1.NN-go from
# backports), or explains why it cannot. Debian 12 ships Go 1.19 and Debian 13 Go 1.24: both too old.
install_go_from_debian() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "k6 is built with Go >= $K6_MIN_GO and no Go was found: install Go $K6_MIN_GO or newer and run again"
  fi
  export DEBIAN_FRONTEND=noninteractive
  say "no Go toolchain found; looking for one in Debian's packages"
  apt-get update -qq >/dev/null
  local pkg candidate v best_pkg="" best_v="0"
  for pkg in golang-go $(apt-cache search --names-only '^golang-1\.[0-9]+-go$' | awk '{ print $1 }'); do
    candidate="$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')"
    if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then continue; fi
    v="$(go_minor "$(sed -E 's/^[0-9]+://' <<<"$candidate")")"
    if version_at_least "$v" "$best_v" && [ "$v" != "$best_v" ]; then best_pkg="$pkg" best_v="$v"; fi
  done
  local debian; debian="$(cat /etc/debian_version 2>/dev/null || echo unknown)"
  if [ -z "$best_pkg" ] || ! version_at_least "$best_v" "$K6_MIN_GO"; then
    [ -n "$best_pkg" ] || best_v="none"
    die "k6 v$K6_VERSION needs Go >= $K6_MIN_GO, but Debian $debian offers Go $best_v at most." \
      "Install Go $K6_MIN_GO or newer from the official tarball (into /usr/local/go, which is searched too)" \
      "or put a k6 v$K6_VERSION binary at $k6, and run again"
  fi
  say "installing $best_pkg (Go $best_v) from Debian $debian"
  apt-get install -y -qq --no-install-recommends "$best_pkg" >/dev/null
}

build_k6() {
  local go; go="$(find_go)"
  if [ -z "$go" ]; then install_go_from_debian; go="$(find_go)"; fi
  [ -n "$go" ] || die "Go was installed but no go binary was found"
  local go_version; go_version="$(GOTOOLCHAIN=local "$go" env GOVERSION)"
  # A GOTOOLCHAIN set by the caller may fetch a newer toolchain, so only a local one is gated here.
  if [ "${GOTOOLCHAIN:-local}" = local ] && ! version_at_least "$(go_minor "$go_version")" "$K6_MIN_GO"; then
    die "k6 v$K6_VERSION needs Go >= $K6_MIN_GO; $go is $go_version. Install a newer Go (or set GOTOOLCHAIN=go$K6_MIN_GO.0 to let go fetch one) and run again"
  fi
  say "building k6 v$K6_VERSION with $go ($go_version); the first build downloads modules and takes a few minutes"
  # Install into a scratch directory and rename, so nobody ever runs a half-written binary.
  staging="$(mktemp -d "$bin_dir/.k6-build.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  local started=$SECONDS
  (cd "$staging" && GOBIN="$staging" "$go" install "go.k6.io/k6@v$K6_VERSION") >&2 \
    || die "building k6 failed (see the go output above)"
  mv -f "$staging/k6" "$k6"
  say "built $("$k6" version | head -n 1) in $((SECONDS - started))s"
}

if ! has_pinned_k6; then
  mkdir -p "$bin_dir"
  exec 9>"$bin_dir/.k6.lock"
  if ! flock -n 9; then
    say "another process is building k6; waiting for it"
    flock 9
  fi
  # The process we waited for may have built it already.
  has_pinned_k6 || build_k6
  has_pinned_k6 || die "$k6 is not k6 v$K6_VERSION after the build"
fi
mkdir -p "${CACHELAB_STATE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.cachelab}/reports"
printf '%s\n' "$k6"
