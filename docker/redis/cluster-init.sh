#!/bin/bash
# One-shot: makes the six nodes a Redis Cluster of 3 masters + 3 replicas, then waits until every
# node serves all 16384 slots. Idempotent, like infra/native/redis-cluster.ts:
#   all nodes blank           -> redis-cli --cluster create
#   already one healthy cluster -> nothing to do
#   anything else (a node was recreated blank, a half-made cluster) -> reset every node and
#   create it again: the cluster only holds cache entries.
#   cachelab-cluster-init HOST:PORT x6      (REDISCLI_AUTH carries the password)
set -euo pipefail
nodes=("$@")
[ ${#nodes[@]} -ge 6 ] || { echo "usage: cachelab-cluster-init HOST:PORT... (six nodes)" >&2; exit 2; }
say() { echo "[cluster-init] $*"; }

cli() { local node="$1"; shift; redis-cli -h "${node%:*}" -p "${node##*:}" "$@"; }
info_field() { cli "$1" CLUSTER INFO | tr -d '\r' | sed -n "s/^$2://p"; }

wait_for() { # SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || { say "timed out waiting for $what"; return 1; }
    sleep 0.5
  done
}

all_answer() { local n; for n in "${nodes[@]}"; do [ "$(cli "$n" PING 2>/dev/null)" = PONG ] || return 1; done; }
blank() { [ "$(info_field "$1" cluster_known_nodes)" = 1 ] && [ "$(info_field "$1" cluster_slots_assigned)" = 0 ]; }
all_blank() { local n; for n in "${nodes[@]}"; do blank "$n" || return 1; done; }
any_blank() { local n; for n in "${nodes[@]}"; do blank "$n" && return 0; done; return 1; }
all_healthy() {
  local n
  for n in "${nodes[@]}"; do
    [ "$(info_field "$n" cluster_state)" = ok ] && [ "$(info_field "$n" cluster_slots_ok)" = 16384 ] &&
      [ "$(info_field "$n" cluster_known_nodes)" = "${#nodes[@]}" ] || return 1
  done
}
masters_and_replicas() { # 3 masters with one replica each, as seen from the first node
  local roles; roles="$(cli "${nodes[0]}" CLUSTER NODES | awk '$3 ~ /master/ && $3 !~ /fail/ { m++ } $3 ~ /slave/ && $3 !~ /fail/ { r++ } END { print m + 0, r + 0 }')"
  [ "$roles" = "$(( ${#nodes[@]} / 2 )) $(( ${#nodes[@]} / 2 ))" ]
}

wait_for 60 "every node to answer" all_answer
if all_blank; then
  say "creating the cluster: ${nodes[*]}"
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes
elif ! any_blank && wait_for 15 "the existing cluster to settle" all_healthy && masters_and_replicas; then
  say "cluster already formed"
  exit 0
else
  say "not one healthy cluster (a node was recreated blank?): resetting every node and creating it again"
  for n in "${nodes[@]}"; do
    # A replica refuses FLUSHALL (read-only); CLUSTER RESET HARD empties it by itself.
    cli "$n" FLUSHALL >/dev/null 2>&1 || true
    cli "$n" CLUSTER RESET HARD >/dev/null
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes
fi
wait_for 60 "every node to serve all slots" all_healthy
wait_for 30 "three masters with a replica each" masters_and_replicas
say "cluster ok: $(info_field "${nodes[0]}" cluster_size) masters, ${#nodes[@]} nodes"
