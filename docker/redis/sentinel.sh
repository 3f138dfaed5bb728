#!/bin/sh
# One sentinel of the group `cachelab`, from the template infra/sentinel/sentinel.conf.
#   cachelab-sentinel PORT MASTER_PORT
# Sentinel rewrites its config (current master, replicas and sentinels it learnt, epochs), so the
# template is copied once into the volume with the per-instance lines appended, and reused after
# (as infra/native/sentinel-group.ts does). Environment: REDIS_PASSWORD; REDIS_BIND (127.0.0.1).
set -eu
port="${1:?usage: cachelab-sentinel PORT MASTER_PORT}"
master_port="${2:?missing MASTER_PORT}"
: "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
bind="${REDIS_BIND:-127.0.0.1}"
conf=/data/sentinel.conf
template=/etc/cachelab/sentinel/sentinel.conf

quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }

if [ ! -f "$conf" ]; then
  umask 077
  # The template names the default master address; a stack on other ports (.env) points it at
  # MASTER_PORT. Name and quorum stay the template's.
  sed -E "s/^(sentinel monitor [^ ]+) [^ ]+ [0-9]+ /\\1 $bind $master_port /" "$template" >"$conf.new"
  {
    echo ""
    echo "# Per-instance settings, appended by cachelab-sentinel on first start"
    echo "port $port"
    echo "bind $bind"
    echo "dir /data"
    echo "requirepass $(quote "$REDIS_PASSWORD")"
  } >>"$conf.new"
  name="$(awk '$1 == "sentinel" && $2 == "monitor" { print $3; exit }' "$conf.new")"
  echo "sentinel auth-pass $name $(quote "$REDIS_PASSWORD")" >>"$conf.new"
  mv "$conf.new" "$conf"
fi
exec redis-server "$conf" --sentinel
