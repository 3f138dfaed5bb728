#!/usr/bin/env bash
# Entry point of every npm script: bootstrap the machine, then run scripts/<command>.ts with Node 24.
#   bash scripts/run.sh <command> [args...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cmd="${1:?usage: run.sh <command> [args...]}"; shift
cd "$CACHELAB_ROOT"
case "$cmd" in
  typecheck) exec npx turbo run typecheck --output-logs=errors-only ;;
  *) exec node --import tsx "scripts/$cmd.ts" "$@" ;;
esac
