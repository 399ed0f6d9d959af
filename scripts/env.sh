# Shared settings of the shell scripts (sourced).
export TEMPORAL_CLI_VERSION="v1.5.1" # Temporal server 1.29.1, Web UI 2.42.1; newest release installable with `go install`
export TEMPORAL_BIN="$PWD/.tools/bin/temporal"
# The Prisma CLI runs on its Wasm engine here; these stop it from fetching native engines it would not use.
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/dev/null}"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-/dev/null}"
export PRISMA_HIDE_UPDATE_MESSAGE=1
export NODE_NO_WARNINGS=1
