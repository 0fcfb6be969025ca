#!/bin/sh
# One-shot (temporalio/admin-tools), after the server is up: makes sure the namespace
# and the custom search attributes the application writes exist. Idempotent.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
# How long closed runs stay visible (and retryable from history) in the UI.
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"
SEARCH_ATTRIBUTES="ImportTaskId ImportTaskName"
# the admin-tools image has `temporal` on PATH; `npm run prod:local` passes the CLI of
# scripts/ensure-temporal.sh
TEMPORAL_CLI="${TEMPORAL_CLI:-temporal}"
temporal() { "$TEMPORAL_CLI" "$@"; }

# retry <attempts> <command...>: the frontend answers before every internal service
# (and a freshly created namespace) is ready, so each step gets a few tries.
retry() {
  n="$1"
  shift
  i=1
  until "$@"; do
    if [ "$i" -ge "$n" ]; then
      echo "giving up after $n attempts: $*" >&2
      return 1
    fi
    i=$((i + 1))
    sleep 2
  done
}

echo "Waiting for Temporal at $ADDRESS"
retry 60 temporal operator cluster health --address "$ADDRESS"

if temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "Namespace $NAMESPACE exists"
else
  echo "Creating namespace $NAMESPACE (retention $RETENTION)"
  retry 15 temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
fi

existing="$(retry 15 temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE")"
for name in $SEARCH_ATTRIBUTES; do
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "Search attribute $name exists"
  else
    echo "Creating search attribute $name (Keyword)"
    retry 15 temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" --name "$name" --type Keyword
  fi
done

echo "Temporal namespace $NAMESPACE is ready"
