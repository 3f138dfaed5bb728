#!/usr/bin/env bash
# Brings the compose stack up, checks it, and takes it down again (volumes included):
#   every container healthy, the cluster init done, each service's /readyz 200, a key written and
#   read back through the cluster from the host, the sentinels agreeing on the master.
#   docker/smoke-test.sh [--default-ports] [--keep]
# By default it runs as project `cachelab-check` on ports that collide neither with the native
# stack nor with its cluster bus ports (7001-7006 + 10000), so both can run side by side;
# --default-ports checks the .env ports instead. --keep leaves the stack running; so does a stack of
# the same project that was already up before.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '\033[36m[smoke]\033[0m %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

keep=0 default_ports=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --default-ports) default_ports=1 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

read -r -a compose <<<"$(bash docker/ensure-engine.sh)"
bash docker/build-images.sh

if [ "$default_ports" -eq 0 ]; then
  export COMPOSE_PROJECT_NAME=cachelab-check
  export REDIS_CLUSTER_PORT_1=27001 REDIS_CLUSTER_PORT_2=27002 REDIS_CLUSTER_PORT_3=27003
  export REDIS_CLUSTER_PORT_4=27004 REDIS_CLUSTER_PORT_5=27005 REDIS_CLUSTER_PORT_6=27006
  export REDIS_GROUP_PORT_1=16381 REDIS_GROUP_PORT_2=16382 REDIS_GROUP_PORT_3=16383
  export SENTINEL_PORT_1=36381 SENTINEL_PORT_2=36382 SENTINEL_PORT_3=36383
  export POSTGRES_PORT=65432 USER_SERVICE_PORT=13001 CATALOG_SERVICE_PORT=13002 INVENTORY_SERVICE_PORT=13003
  export JAEGER_UI_PORT=26686 JAEGER_OTLP_HTTP_PORT=14318
fi
# The effective value of a .env variable (the shell's, else the file's).
var() { local v; v="$(printenv "$1" || true)"; [ -n "$v" ] || v="$(sed -n "s/^$1=//p" .env | tail -n 1)"; printf '%s' "$v"; }
project="$(var COMPOSE_PROJECT_NAME)"
password="$(var CACHELAB_PASSWORD)"
cluster_ports=() ports=()
for i in 1 2 3 4 5 6; do cluster_ports+=("$(var "REDIS_CLUSTER_PORT_$i")"); done
for p in "${cluster_ports[@]}"; do ports+=("$p" $((p + 10000))); done
services=(user catalog inventory)
service_port() { var "$(tr '[:lower:]' '[:upper:]' <<<"$1")_SERVICE_PORT"; }
for v in REDIS_GROUP_PORT_1 REDIS_GROUP_PORT_2 REDIS_GROUP_PORT_3 SENTINEL_PORT_1 SENTINEL_PORT_2 SENTINEL_PORT_3 POSTGRES_PORT; do
  ports+=("$(var "$v")")
done
for name in "${services[@]}"; do ports+=("$(service_port "$name")"); done

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A stack of this project that already runs is checked as it is, and left running.
already_up=0
if [ -n "$("${compose[@]}" ps -q 2>/dev/null)" ]; then
  already_up=1
else
  for p in "${ports[@]}"; do ! port_open "$p" || die "port $p is taken (a native stack? run without --default-ports)"; done
fi

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    "${compose[@]}" ps >&2 || true
    "${compose[@]}" logs --tail=20 >&2 || true
  fi
  if [ "$keep" -eq 0 ] && [ "$already_up" -eq 0 ]; then
    say "taking $project down"
    "${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

say "bringing up $project (services: ${services[*]})"
started=$SECONDS
"${compose[@]}" up -d >/dev/null

# Every long-running container healthy and the one-shot cluster init exited 0, within 3 minutes.
deadline=$((SECONDS + 180))
while :; do
  pending=()
  for id in $("${compose[@]}" ps -q); do
    IFS='|' read -r name status health code <<<"$(docker inspect -f '{{.Name}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.ExitCode}}' "$id")"
    if [ "$status" = exited ] && [ -z "$health" ]; then
      [ "$code" = 0 ] || die "${name#/} exited with $code"
    elif [ "$health" != healthy ]; then
      pending+=("${name#/}:${health:-$status}")
    fi
  done
  [ ${#pending[@]} -gt 0 ] || break
  [ $SECONDS -lt $deadline ] || die "not healthy after 180s: ${pending[*]}"
  sleep 1
done
say "all containers healthy $((SECONDS - started))s after up"

# redis-cli from the host when it has one, else from a cluster node (same network namespace).
rcli() {
  if command -v redis-cli >/dev/null; then REDISCLI_AUTH="$password" redis-cli "$@"
  else docker exec "$("${compose[@]}" ps -q redis-cluster-1)" redis-cli "$@"; fi
}
key="smoke:{$RANDOM}:probe"
[ "$(rcli -c -p "${cluster_ports[0]}" SET "$key" ok EX 60)" = OK ] || die "SET through the cluster failed"
# Read it from a node that may not own the slot: -c follows the MOVED redirect to a 127.0.0.1 address.
[ "$(rcli -c -p "${cluster_ports[4]}" GET "$key")" = ok ] || die "GET through the cluster failed"
say "cluster: SET/GET from the host through redirects ok"

masters=""
for v in SENTINEL_PORT_1 SENTINEL_PORT_2 SENTINEL_PORT_3; do
  masters+="$(rcli -p "$(var "$v")" SENTINEL GET-MASTER-ADDR-BY-NAME cachelab | paste -sd:)|"
done
[ "$(tr '|' '\n' <<<"$masters" | sort -u | grep -c .)" = 1 ] || die "sentinels disagree: $masters"
say "sentinels agree on the master ${masters%%|*}"

for name in "${services[@]}"; do
  ready="$(bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; printf "GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3; cat <&3' _ "$(service_port "$name")")"
  head -n 1 <<<"$ready" | grep -q ' 200 ' || die "$name-service /readyz: $(head -n 1 <<<"$ready")"
  say "$name-service /readyz: $(tail -n 1 <<<"$ready")"
done
say "ok ($((SECONDS - started))s)"
