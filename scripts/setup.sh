#!/usr/bin/env bash
# Installs what is missing, and only that: npm packages, the Temporal CLI (built with Go),
# and the Prisma client. Safe to run again; `make start` and `make test` both call it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "» installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -x "$TEMPORAL_BIN" ]; then
  command -v go >/dev/null || { echo "Go is needed to build the Temporal CLI (https://go.dev/dl/)" >&2; exit 1; }
  echo "» building the Temporal CLI $TEMPORAL_CLI_VERSION with Go (first time only: a few minutes)"
  GOBIN="$PWD/.tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
fi

if [ ! -f node_modules/.prisma/client/index.js ] || [ prisma/schema.prisma -nt node_modules/.prisma/client/index.js ]; then
  echo "» generating the Prisma client"
  npx prisma generate >/dev/null
fi
