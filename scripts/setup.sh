#!/usr/bin/env bash
# Installs what is missing, and only that: npm packages, the Temporal CLI (built with Go),
# and the Prisma clients. Safe to run again; `make start` and `make test` both call it.
# (PostgreSQL, needed by the tests only, is installed by scripts/postgres.sh when missing.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "» installing npm packages"
  # npm 11 refuses `npm ci` here ("Missing: @swc/core-darwin-arm64@ from lock file"): the lock
  # lists only the platform packages of @swc/core the registry had when it was written. `npm
  # install` installs the same locked versions and leaves the lock as it is.
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    echo "» npm ci refused the lock file (see above); installing the locked versions with npm install" >&2
    npm install --no-audit --no-fund --loglevel=error
  fi
fi

if [ ! -x "$TEMPORAL_BIN" ]; then
  command -v go >/dev/null || { echo "Go is needed to build the Temporal CLI (https://go.dev/dl/)" >&2; exit 1; }
  echo "» building the Temporal CLI $TEMPORAL_CLI_VERSION with Go (first time only: a few minutes)"
  GOBIN="$PWD/.tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
fi

# Two Prisma clients from one data model (see docs/configuration.md): SQLite's from
# prisma/schema.prisma, PostgreSQL's from prisma/postgres/schema.prisma (generated from the
# first by `npm run db:migrations`). --schema is explicit: prisma.config.ts picks a schema
# by DATABASE_URL, which may point at either database here.
if ! node --import tsx scripts/generate-migrations.ts --check-postgres-schema; then
  echo "» warning: the PostgreSQL schema and migrations are stale; the type check and the migration test will fail until \`npm run db:migrations\` is run" >&2
fi
# A generated client keeps a copy of its schema; a fresh install has only a placeholder
# client without one. So: generate when the copy is missing or differs.
if ! cmp -s prisma/schema.prisma node_modules/.prisma/client/schema.prisma; then
  echo "» generating the Prisma client (SQLite)"
  out=$(npx prisma generate --schema prisma/schema.prisma 2>&1) || { echo "$out" >&2; exit 1; }
fi
if ! cmp -s prisma/postgres/schema.prisma db/generated/postgres/schema.prisma; then
  echo "» generating the Prisma client (PostgreSQL)"
  out=$(npx prisma generate --schema prisma/postgres/schema.prisma 2>&1) || { echo "$out" >&2; exit 1; }
fi
