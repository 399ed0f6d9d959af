#!/bin/sh
# Creates Temporal's two databases and brings their schemas to the server's version. Safe to
# run before every start: an existing database is kept and only pending schema versions apply.
# Used by scripts/cluster.sh (natively) and by the temporal-schema service of
# docker-compose.temporal.yml (admin-tools image), with the variables of ops/temporal/config/cluster.yaml:
#   TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER, TEMPORAL_DB_PASSWORD,
#   TEMPORAL_DB_NAME (temporal), TEMPORAL_VISIBILITY_DB_NAME (temporal_visibility)
# and where the tool and the schemas are:
#   TEMPORAL_SQL_TOOL (temporal-sql-tool), TEMPORAL_SCHEMA_DIR (/etc/temporal/schema/postgresql/v12)
set -eu

host="${TEMPORAL_DB_HOST:-127.0.0.1}"
port="${TEMPORAL_DB_PORT:-5432}"
schema_dir="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

sql() { "${TEMPORAL_SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --ep "$host" -p "$port" -u "${TEMPORAL_DB_USER:-temporal}" --pw "$TEMPORAL_DB_PASSWORD" "$@"; }

if command -v nc >/dev/null 2>&1; then
  for _ in $(seq 1 60); do nc -z "$host" "$port" && break; sleep 1; done
fi

prepare() { # database, schema folder under $schema_dir
  if sql --db "$1" create >/dev/null 2>&1; then
    echo "created database $1"
    sql --db "$1" setup-schema -v 0.0
  else
    echo "database $1 exists: updating its schema only"
  fi
  sql --db "$1" update-schema -d "$schema_dir/$2/versioned"
}

prepare "${TEMPORAL_DB_NAME:-temporal}" temporal
prepare "${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}" visibility
echo "Temporal schema ready"
