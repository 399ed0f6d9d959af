# Shared settings of the shell scripts (sourced).
export TEMPORAL_CLI_VERSION="v1.5.1" # newest release installable with `go install`
TEMPORAL_CLI_EMBEDS="Server 1.29.1, UI 2.42.1" # what that release embeds
# The cluster profile builds the same server and Web UI versions (scripts/setup-cluster.sh).
export TEMPORAL_SERVER_VERSION="1.29.1" TEMPORAL_UI_VERSION="2.42.1"

# True when $1 is an executable `temporal` CLI of the pinned release. `temporal --version`
# says "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)" for a release binary and
# "0.0.0-DEV (...)" for one built with `go install`: the embedded versions identify both.
is_pinned_temporal() {
  [ -n "$1" ] && [ -x "$1" ] && "$1" --version 2>/dev/null | grep -qF "($TEMPORAL_CLI_EMBEDS)"
}

# The Temporal CLI: TEMPORAL_BIN when it is the pinned version, else a `temporal` of that
# version on the PATH, else .tools/bin/temporal (scripts/setup.sh builds it when missing).
TEMPORAL_LOCAL_BIN="$PWD/.tools/bin/temporal"
if is_pinned_temporal "${TEMPORAL_BIN:-}"; then
  TEMPORAL_BIN=$(realpath "$(command -v "$TEMPORAL_BIN")")
elif is_pinned_temporal "$(command -v temporal || true)"; then
  TEMPORAL_BIN=$(command -v temporal)
else
  if [ -n "${TEMPORAL_BIN:-}" ] && [ "$TEMPORAL_BIN" != "$TEMPORAL_LOCAL_BIN" ]; then
    echo "» TEMPORAL_BIN=$TEMPORAL_BIN is not the Temporal CLI ${TEMPORAL_CLI_VERSION}: using .tools/bin/temporal instead" >&2
  fi
  TEMPORAL_BIN="$TEMPORAL_LOCAL_BIN"
fi
export TEMPORAL_BIN

# The Prisma CLI runs on its Wasm engine here; these stop it from fetching native engines it would not use.
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/dev/null}"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-/dev/null}"
export PRISMA_HIDE_UPDATE_MESSAGE=1
export NODE_NO_WARNINGS=1
