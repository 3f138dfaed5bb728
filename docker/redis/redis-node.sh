#!/bin/sh
# One Redis server of the stack, configured like the native stack does it (infra/native/redis-conf.ts):
# the shared files from infra/redis included, the per-instance lines written here, the password
# in the file (mode 0600) rather than on the command line, so that `ps` does not show it.
#   cachelab-redis cluster PORT                  a Redis Cluster node
#   cachelab-redis group PORT [MASTER_PORT]      a server of the Sentinel group (a replica when MASTER_PORT is given)
# Environment: REDIS_PASSWORD; REDIS_BIND (default 127.0.0.1).
set -eu
kind="${1:?usage: cachelab-redis cluster|group PORT [MASTER_PORT]}"
port="${2:?missing PORT}"
master_port="${3:-}"
: "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
bind="${REDIS_BIND:-127.0.0.1}"
conf=/data/redis.conf

case "$kind" in
  cluster) role_conf=cluster.conf ;;
  group) role_conf=sentinel-group.conf ;;
  *) echo "cachelab-redis: unknown kind $kind" >&2; exit 2 ;;
esac

# Redis config strings: double-quoted, with backslashes and quotes escaped.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }

# The replication role. A group server keeps the role it had when it stopped: Sentinel moves roles
# around (REPLICAOF + CONFIG REWRITE into this file), and restarting a promoted master as a
# replica of the old one would throw away the writes it took since. Only the first start uses
# MASTER_PORT; afterwards the sentinels correct a server that comes back with a stale role.
role_line=""
if [ "$kind" = group ]; then
  if [ -f "$conf" ]; then
    role_line="$(grep -E '^(replicaof|slaveof) ' "$conf" | tail -n 1 || true)"
  elif [ -n "$master_port" ]; then
    role_line="replicaof $bind $master_port"
  fi
fi

umask 077
{
  echo "# Written by cachelab-redis on every start: edit infra/redis/*.conf instead."
  echo "include /etc/cachelab/redis/redis-common.conf"
  echo "include /etc/cachelab/redis/$role_conf"
  echo "port $port"
  echo "bind $bind"
  echo "dir /data"
  echo "requirepass $(quote "$REDIS_PASSWORD")"
  echo "masterauth $(quote "$REDIS_PASSWORD")"
  [ -z "$role_line" ] || echo "$role_line"
} >"$conf.new"
mv "$conf.new" "$conf"
exec redis-server "$conf"
