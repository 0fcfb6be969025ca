#!/usr/bin/env bash
# Makes the real Temporal server available for `npm run prod:local`: the server, its SQL schema
# tool (the admin-tools image's temporal-sql-tool), the PostgreSQL schema files that tool applies,
# and the Temporal UI server, each built from its Go module at a pinned version.
#
# Prints KEY=path lines on stdout (logs go to stderr):
#   TEMPORAL_SERVER=…  TEMPORAL_SQL_TOOL=…  TEMPORAL_SCHEMA_ROOT=…  TEMPORAL_UI_SERVER=…
#
# Order: .tools/temporal-server/<versions>/ when complete; else a copy from the per-user cache
# (${XDG_CACHE_HOME:-~/.cache}/scim-import/, which survives a fresh clone); else a build with
# `go install` into that cache first (several minutes on a cold Go build cache).
# docker-compose.yml pins the images of the same server version: upgrade both together.
set -euo pipefail

TEMPORAL_SERVER_VERSION="1.32.2"  # go.temporal.io/server; docker-compose.yml: temporalio/server + admin-tools
TEMPORAL_UI_VERSION="2.56.4"      # github.com/temporalio/ui-server/v2 (2.58.x needs go.temporal.io/api v1.64.0, which the Go proxy does not serve)
GO_TOOLCHAIN="go1.27.3"           # the server's go.mod wants go >= 1.26.10; the Go proxy serves this one

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="temporal-server-v$TEMPORAL_SERVER_VERSION-ui-v$TEMPORAL_UI_VERSION"
TARGET="$ROOT/.tools/temporal-server/$NAME"
CACHE_BASE="${XDG_CACHE_HOME:-$HOME/.cache}/scim-import"
CACHE="$CACHE_BASE/$NAME"

log() { echo "[ensure-temporal-server] $*" >&2; }

complete() {
  [[ -x "$1/bin/temporal-server" && -x "$1/bin/temporal-sql-tool" && -x "$1/bin/temporal-ui-server" \
    && -f "$1/schema/postgresql/v12/temporal/versioned/v1.0/manifest.json" && -f "$1/.complete" ]]
}

print_paths() {
  echo "TEMPORAL_SERVER=$TARGET/bin/temporal-server"
  echo "TEMPORAL_SQL_TOOL=$TARGET/bin/temporal-sql-tool"
  echo "TEMPORAL_SCHEMA_ROOT=$TARGET/schema/postgresql/v12"
  echo "TEMPORAL_UI_SERVER=$TARGET/bin/temporal-ui-server"
}

if complete "$TARGET"; then
  print_paths
  exit 0
fi

# one build at a time per user (CI and a test may ask at once); the loser reuses the winner's result
mkdir -p "$CACHE_BASE"
exec 9>"$CACHE_BASE/.lock-$NAME"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

if ! complete "$CACHE"; then
  if ! command -v go >/dev/null 2>&1; then
    log "Go is not installed: it is needed once to build the Temporal server $TEMPORAL_SERVER_VERSION."
    log "Install Go (any recent version; $GO_TOOLCHAIN is fetched from the Go proxy), then run this again."
    exit 1
  fi
  export GOTOOLCHAIN="$GO_TOOLCHAIN" CGO_ENABLED=0
  log "building Temporal server v$TEMPORAL_SERVER_VERSION, temporal-sql-tool and UI server v$TEMPORAL_UI_VERSION with $GO_TOOLCHAIN"
  log "(about 6 minutes on 2 cores with a cold Go build cache, seconds with a warm one) ..."
  started=$(date +%s)
  work="$(mktemp -d "$CACHE_BASE/.build-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/server" "$work/ui" "$work/out/bin"
  # go install pkg@version builds exactly the module's own go.sum, outside any project module
  (cd "$work" && GOBIN="$work/server" go install -ldflags='-s -w' \
    "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION") >&2
  (cd "$work" && GOBIN="$work/ui" go install -ldflags='-s -w' \
    "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION") >&2
  mv "$work/server/server" "$work/out/bin/temporal-server"
  mv "$work/server/sql" "$work/out/bin/temporal-sql-tool"
  mv "$work/ui/server" "$work/out/bin/temporal-ui-server"
  # the schema files temporal-sql-tool applies (the admin-tools image has them in /etc/temporal/schema)
  src="$(cd "$work" && go mod download -json "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [[ -z "$src" || ! -d "$src/schema/postgresql/v12" ]]; then
    log "could not find the schema files of go.temporal.io/server@v$TEMPORAL_SERVER_VERSION in the module cache"
    exit 1
  fi
  mkdir -p "$work/out/schema/postgresql"
  cp -R "$src/schema/postgresql/v12" "$work/out/schema/postgresql/"
  chmod -R u+w "$work/out/schema" # the module cache is read-only; copies must stay removable
  echo "server v$TEMPORAL_SERVER_VERSION, ui v$TEMPORAL_UI_VERSION, built with $GO_TOOLCHAIN" >"$work/out/.complete"
  rm -rf "$CACHE"
  mv "$work/out" "$CACHE"
  log "built in $(($(date +%s) - started)) s; cached in $CACHE"
fi

# .tools/ holds its own copy (hard links when on the same file system), so the project keeps
# working if the per-user cache is cleared
rm -rf "$TARGET"
mkdir -p "$(dirname "$TARGET")"
cp -Rl "$CACHE" "$TARGET.tmp" 2>/dev/null || { rm -rf "$TARGET.tmp"; cp -R "$CACHE" "$TARGET.tmp"; }
mv "$TARGET.tmp" "$TARGET"
log "Temporal server $("$TARGET/bin/temporal-server" --version 2>/dev/null | sed -n "s/.*version //p") ready in .tools/temporal-server/$NAME"
print_paths
