#!/usr/bin/env bash
# Installs what the cluster profile needs, only what is missing (scripts/cluster.sh calls it):
#   .tools/cluster/bin/temporal-server     go.temporal.io/server/cmd/server        (Temporal's services)
#   .tools/cluster/bin/temporal-sql-tool   go.temporal.io/server/cmd/tools/sql     (schemas)
#   .tools/cluster/bin/temporal-ui-server  github.com/temporalio/ui-server/v2/cmd/server (Web UI)
#   .tools/cluster/schema/postgresql/v12   the server module's PostgreSQL schemas
# at the versions the pinned CLI embeds (scripts/env.sh), built with Go (about 3.5 minutes the
# first time), and PostgreSQL from Debian's packages (scripts/postgres.sh install).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

tools=.tools/cluster
mkdir -p "$tools/bin"

need_go() {
  command -v go >/dev/null || { echo "Go 1.25 or newer is needed to build $1 (https://go.dev/dl/)" >&2; exit 1; }
}

# Both the server and the UI server build into a binary named `server`: each goes through a
# GOBIN of its own and is renamed.
build() { # module@version binary-name-in-GOBIN target-name
  [ -x "$tools/bin/$3" ] && return 0
  need_go "$3"
  echo "» building $3 ($1) with Go into $tools/bin (first time only: a few minutes)"
  local gobin; gobin=$(mktemp -d)
  GOBIN="$gobin" go install "$1"
  mv "$gobin/$2" "$tools/bin/$3"
  rm -rf "$gobin"
}
build "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" server temporal-server
build "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" sql temporal-sql-tool
build "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION" server temporal-ui-server

if [ ! -d "$tools/schema/postgresql/v12" ]; then
  need_go "the schemas"
  module=$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION
  [ -d "$module/schema" ] || go mod download "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
  mkdir -p "$tools/schema"
  cp -r "$module/schema/postgresql" "$tools/schema/"
  chmod -R u+w "$tools/schema"
fi

./scripts/postgres.sh install >/dev/null
command -v openssl >/dev/null || { echo "openssl is needed for the cluster's certificates (apt-get install openssl)" >&2; exit 1; }
