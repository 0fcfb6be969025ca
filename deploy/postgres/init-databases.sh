#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (docker-entrypoint-initdb.d). Each consumer gets its own login role:
#   scim_import - owns the application database (migrations run as this role)
#   temporal    - may create databases, so temporal-sql-tool creates and owns
#                 `temporal` and `temporal_visibility` itself (deploy/temporal/setup-schema.sh).
#                 No superuser needed: the one extension its schema uses, btree_gin, is
#                 trusted (PostgreSQL 13+), so a database owner may create it.
# Changing the passwords later needs ALTER ROLE: this script does not run again.
set -eu

: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is required}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is required}"

# The heredoc is quoted so the shell leaves :'var' alone; psql substitutes it as a
# properly quoted literal, which keeps passwords out of the SQL text and the process list.
psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v app_password="$APP_DB_PASSWORD" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE scim_import LOGIN PASSWORD :'app_password';
CREATE DATABASE scim_import OWNER scim_import;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
SQL
