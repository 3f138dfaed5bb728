#!/bin/bash
# Postgres as the native stack runs it (infra/native/postgres.ts): initdb with the role
# POSTGRES_USER and scram passwords over TCP, the tuning file infra/postgres/postgresql.conf
# included, per-instance settings on the command line. On a new data dir the files in
# /docker-entrypoint-initdb.d (infra/postgres/init) run first, on a server that only listens on
# its Unix socket, so nothing can connect before the databases exist.
# Environment: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_PORT; POSTGRES_LISTEN (127.0.0.1).
set -euo pipefail
: "${POSTGRES_USER:?}" "${POSTGRES_PASSWORD:?}" "${POSTGRES_PORT:?}"
listen="${POSTGRES_LISTEN:-127.0.0.1}"
socket_dir=/var/run/postgresql

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "[postgres] initdb $PGDATA"
  tmp="$PGDATA.initdb"
  rm -rf "$tmp"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$tmp" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --no-locale >/dev/null
  rm -f "$pwfile"
  printf "\ninclude_if_exists '/etc/cachelab/postgres/postgresql.conf'\n" >>"$tmp/postgresql.conf"

  pg_ctl -D "$tmp" -w -o "-c listen_addresses='' -k $socket_dir -p $POSTGRES_PORT" start >/dev/null
  for file in /docker-entrypoint-initdb.d/*; do
    case "$file" in
      *.sql) echo "[postgres] running $file"
        psql -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -f "$file" ;;
      *.sh) echo "[postgres] running $file"; bash "$file" ;;
      *) [ ! -e "$file" ] || echo "[postgres] ignoring $file" ;;
    esac
  done
  pg_ctl -D "$tmp" -w -m fast stop >/dev/null
  # Renamed into place last: an interrupted first start leaves no half-made data dir.
  mv "$tmp" "$PGDATA"
fi

exec postgres -D "$PGDATA" -p "$POSTGRES_PORT" -c "listen_addresses=$listen" -c "unix_socket_directories=$socket_dir"
