#!/bin/sh
# Docker healthcheck of every Redis process (REDISCLI_AUTH carries the password):
#   a server: answers PING;
#   a sentinel: answers PING and SENTINEL CKQUORUM, i.e. it sees the master and enough sentinels
#   to authorise a failover (the services connect through the sentinels, so that is "ready").
set -eu
if [ -f /data/sentinel.conf ]; then
  port="$(awk '$1 == "port" { p = $2 } END { print p }' /data/sentinel.conf)"
  name="$(awk '$1 == "sentinel" && $2 == "monitor" { print $3; exit }' /data/sentinel.conf)"
  redis-cli -p "$port" SENTINEL CKQUORUM "$name" | grep -q '^OK'
else
  port="$(awk '$1 == "port" { p = $2 } END { print p }' /data/redis.conf)"
  [ "$(redis-cli -p "$port" PING)" = PONG ]
fi
