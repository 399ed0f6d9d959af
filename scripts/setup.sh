#!/usr/bin/env bash
# Installs what is missing, and only that: npm packages, the Temporal CLI (built with Go),
# and the Prisma clients. Safe to run again; `make start` and `make test` both call it.
# (PostgreSQL, needed by the tests only, is installed by scripts/postgres.sh when missing.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "» installing npm packages (the versions in package-lock.json)"
  # `npm ci` installs exactly the lock. Should the lock ever be out of step with package.json
  # (npm ci then refuses it), `npm install` installs the same locked versions and brings the
  # lock up to date; npm ci's own complaint goes to a log, not to the screen.
  mkdir -p .tmp
  if ! npm ci --no-audit --no-fund --loglevel=error >.tmp/npm-ci.log 2>&1; then
    echo "» package-lock.json is out of step with package.json (.tmp/npm-ci.log says how): npm install brings it up to date" >&2
    npm install --no-audit --no-fund --loglevel=error
  fi
fi

if [ ! -x "$TEMPORAL_BIN" ]; then
  command -v go >/dev/null || { echo "Go 1.25 or newer is needed to build the Temporal CLI (https://go.dev/dl/), or put the temporal CLI ${TEMPORAL_CLI_VERSION#v} on the PATH" >&2; exit 1; }
  echo "» building the Temporal CLI $TEMPORAL_CLI_VERSION with Go into .tools/bin (first time only: a few minutes)"
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
