#!/bin/sh
# cachelab-service NAME: applies the service's migrations (when it has scripts/migrate.ts; they are
# idempotent and run under an advisory lock), then runs services/NAME/src/main.ts in the foreground.
set -eu
name="${1:?usage: cachelab-service user|catalog|inventory}"
dir="/app/services/$name"
if [ ! -f "$dir/src/main.ts" ]; then
  echo "[cachelab-service] services/$name/src/main.ts is not in this image: the $name service has not landed," \
    "or the image predates it (docker/build-images.sh services)" >&2
  exit 1
fi
cd "$dir"
if [ -f scripts/migrate.ts ]; then node --import tsx scripts/migrate.ts; fi
exec node --import tsx src/main.ts
