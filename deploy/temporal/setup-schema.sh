#!/bin/sh
# One-shot (temporalio/admin-tools): creates Temporal's two PostgreSQL databases if
# missing and brings their schemas to the version this admin-tools image ships.
# Safe to run on every `docker compose up`: create tolerates an existing database,
# setup-schema -v 0.0 keeps a newer recorded version, update-schema applies only
# the versioned steps not yet recorded.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}" # read by temporal-sql-tool itself
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

attempt=1
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  if [ "$attempt" -ge 30 ]; then
    echo "PostgreSQL at $POSTGRES_SEEDS:$DB_PORT is not reachable" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

# database name : schema directory under $SCHEMA_ROOT
for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  dir="$SCHEMA_ROOT/${pair#*:}/versioned"
  echo "Temporal schema: $db"
  # A failure here is re-reported with its real cause by setup-schema below
  # (e.g. bad credentials), so it does not stop the script on its own.
  sql_tool --db "$db" create || echo "create $db failed; continuing in case it already exists" >&2
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$dir"
done

echo 'Temporal schemas are up to date'
