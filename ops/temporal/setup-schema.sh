#!/bin/sh
# One-shot (temporal-schema service, admin-tools image): creates Temporal's two databases on
# temporal-db and brings their schemas to the version this image ships. Safe to run on every
# `docker compose up`: an existing database is kept and only pending schema versions apply.
set -eu

sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"; }

for _ in $(seq 1 60); do nc -z "$POSTGRES_SEEDS" "${DB_PORT:-5432}" && break; sleep 1; done

prepare() { # database, schema folder under /etc/temporal/schema/postgresql/v12
  if sql --db "$1" create; then
    echo "created database $1"
    sql --db "$1" setup-schema -v 0.0
  else
    echo "database $1 exists: updating its schema only"
  fi
  sql --db "$1" update-schema -d "/etc/temporal/schema/postgresql/v12/$2/versioned"
}

prepare "${DBNAME:-temporal}" temporal
prepare "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
echo "Temporal schema ready"
