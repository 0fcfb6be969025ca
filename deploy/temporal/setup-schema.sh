#!/bin/sh
# One-shot (temporalio/admin-tools): creates Temporal's two PostgreSQL databases if
# missing and brings their schemas to the version this admin-tools image ships.
# Safe to run on every `docker compose up`: create tolerates an existing database,
# setup-schema -v 0.0 keeps a newer recorded version, update-schema applies only
# the versioned steps not yet recorded.
#
# Outside the image (`npm run prod:local`) the same steps run with the tool and schema files
# built by scripts/ensure-temporal-server.sh: TEMPORAL_SQL_TOOL and SCHEMA_ROOT point at them.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}" # read by temporal-sql-tool itself
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT="${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"
SQL_TOOL="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"

sql_tool() {
  "$SQL_TOOL" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# nc is in the admin-tools image; elsewhere bash's /dev/tcp does the same check, and without
# either the first sql_tool call below reports an unreachable server itself
reachable() {
  if command -v nc >/dev/null 2>&1; then
    nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"
  elif command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
    timeout 5 bash -c ': >"/dev/tcp/$1/$2"' _ "$POSTGRES_SEEDS" "$DB_PORT" 2>/dev/null
  else
    true
  fi
}

attempt=1
until reachable; do
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
