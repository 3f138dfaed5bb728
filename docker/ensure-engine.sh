#!/usr/bin/env bash
# Makes a Docker engine and a compose client available, installing only what is missing:
#   docker.io, docker-compose (v1; Debian has no compose v2 plugin) and debootstrap from Debian
#   (when root), then dockerd in the background when no engine answers (on machines without
#   systemd, like CI sandboxes). Prints the compose command to use: "docker compose" or "docker-compose".
# dockerd runs with --iptables=false: every container of the stack uses the host's network, so
# no NAT or port-forwarding rule is needed, and the host's firewall is left alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${CACHELAB_STATE_DIR:-$ROOT/.cachelab}"
say() { printf '\033[36m[docker]\033[0m %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

missing=()
if ! command -v docker >/dev/null || { ! docker info >/dev/null 2>&1 && ! command -v dockerd >/dev/null; }; then
  missing+=(docker.io)
fi
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null || die "missing: ${missing[*]} (Debian: sudo apt-get install ${missing[*]})"
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "the Docker engine does not answer; start it (sudo systemctl start docker)"
  mkdir -p "$STATE_DIR/logs"
  say "starting dockerd (log: $STATE_DIR/logs/dockerd.log)"
  setsid nohup dockerd --iptables=false --ip-masq=false >>"$STATE_DIR/logs/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || die "dockerd did not come up; see $STATE_DIR/logs/dockerd.log"
fi

if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo "docker-compose"; fi
