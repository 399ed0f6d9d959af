#!/usr/bin/env bash
# A Temporal cluster in its production shape, on this machine: PostgreSQL (Debian's package) for
# persistence and advanced visibility, frontend, history, matching and worker as four processes
# of one configuration (ops/temporal/config/cluster.yaml), the frontend behind mutual TLS from a
# throwaway CA, and the Web UI server. State, certificates and logs stay in DIR between runs.
#
#   scripts/cluster.sh start DIR          everything (installs what is missing, first)
#   scripts/cluster.sh stop DIR           everything, UI first, PostgreSQL last; DIR stays
#   scripts/cluster.sh service DIR NAME   (re)starts one of frontend|history|matching|worker|ui
#                                         in the background and waits until it serves
#   scripts/cluster.sh env DIR            prints the client's variables (to `source`/`eval`)
#
# Ports: the usual ones (frontend 7233, Web UI 8233, ...) unless CLUSTER_PORTS=auto the first
# time, which takes free ones (the test suite does). They are kept in DIR/ports.env.
# DIR/cluster.env holds what a client needs: TEMPORAL_ADDRESS and the TLS variables that the
# temporal CLI and the platform (temporal/connection.ts, via @temporalio/envconfig) both read,
# and DATABASE_URL of the platform's own database ("saga") on the same PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/env.sh
BIN=$ROOT/.tools/cluster/bin
SERVICES=(history matching frontend worker) # start order; stop is the reverse

die() { echo "cluster.sh: $*" >&2; exit 1; }
# A free port below 32768: Temporal keeps membership ports in a smallint column, and the
# kernel's own picks (ephemeral ports) lie above it.
free_port() {
  node -e '
    const net = require("net");
    const tryPort = () => { const p = 20000 + Math.floor(Math.random() * 12000); const s = net.createServer();
      s.once("error", tryPort).listen(p, "127.0.0.1", () => { console.log(p); s.close(); }); };
    tryPort();'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ports, database and certificates: made once, kept in DIR.
prepare() {
  local dir=$1
  mkdir -p "$dir/logs" "$dir/run"
  if [ ! -f "$dir/ports.env" ]; then
    local names=(FRONTEND FRONTEND_HTTP FRONTEND_MEMBERSHIP HISTORY HISTORY_MEMBERSHIP MATCHING MATCHING_MEMBERSHIP WORKER WORKER_MEMBERSHIP UI METRICS_FRONTEND METRICS_HISTORY METRICS_MATCHING METRICS_WORKER)
    local defaults=(7233 7243 6933 7234 6934 7235 6935 7239 6939 8233 8000 8001 8002 8003)
    : >"$dir/ports.env.tmp"
    for i in "${!names[@]}"; do
      local port=${defaults[i]}
      [ "${CLUSTER_PORTS:-}" = auto ] && port=$(free_port)
      echo "PORT_${names[i]}=$port" >>"$dir/ports.env.tmp"
    done
    mv "$dir/ports.env.tmp" "$dir/ports.env"
  fi
  ./scripts/cluster-certs.sh "$dir/certs"
}

# The server processes' variables (ops/temporal/config/cluster.yaml reads them).
server_env() {
  local dir; dir=$(cd "$1" && pwd)
  source "$dir/ports.env"
  local url; url=$(cat "$dir/postgres.url")
  local rest=${url#postgres://}; local cred=${rest%%@*}; local hostport=${rest#*@}; hostport=${hostport%%/*}
  export TEMPORAL_DB_HOST=${hostport%:*} TEMPORAL_DB_PORT=${hostport##*:} TEMPORAL_DB_USER=${cred%%:*} TEMPORAL_DB_PASSWORD=${cred#*:}
  export TEMPORAL_FRONTEND_PORT=$PORT_FRONTEND TEMPORAL_FRONTEND_HTTP_PORT=$PORT_FRONTEND_HTTP TEMPORAL_FRONTEND_MEMBERSHIP_PORT=$PORT_FRONTEND_MEMBERSHIP
  export TEMPORAL_HISTORY_PORT=$PORT_HISTORY TEMPORAL_HISTORY_MEMBERSHIP_PORT=$PORT_HISTORY_MEMBERSHIP
  export TEMPORAL_MATCHING_PORT=$PORT_MATCHING TEMPORAL_MATCHING_MEMBERSHIP_PORT=$PORT_MATCHING_MEMBERSHIP
  export TEMPORAL_WORKER_PORT=$PORT_WORKER TEMPORAL_WORKER_MEMBERSHIP_PORT=$PORT_WORKER_MEMBERSHIP
  export TEMPORAL_SERVER_TLS_CERT=$dir/certs/server.pem TEMPORAL_SERVER_TLS_KEY=$dir/certs/server.key TEMPORAL_SERVER_TLS_CA=$dir/certs/ca.pem
  export TEMPORAL_SERVER_TLS_WORKER_CERT=$dir/certs/worker.pem TEMPORAL_SERVER_TLS_WORKER_KEY=$dir/certs/worker.key
  export TEMPORAL_DYNAMIC_CONFIG_FILE=$ROOT/ops/temporal/dynamicconfig/production-sql.yaml
  export TEMPORAL_SCHEMA_DIR=$ROOT/.tools/cluster/schema/postgresql/v12 TEMPORAL_SQL_TOOL=$BIN/temporal-sql-tool
}

# What a client of the cluster needs (written to DIR/cluster.env).
client_env() {
  local dir; dir=$(cd "$1" && pwd)
  source "$dir/ports.env"
  local url; url=$(cat "$dir/postgres.url")
  cat <<EOT
TEMPORAL_ADDRESS=127.0.0.1:$PORT_FRONTEND
TEMPORAL_NAMESPACE=default
TEMPORAL_TLS_CLIENT_CERT_PATH=$dir/certs/client.pem
TEMPORAL_TLS_CLIENT_KEY_PATH=$dir/certs/client.key
TEMPORAL_TLS_SERVER_CA_CERT_PATH=$dir/certs/ca.pem
TEMPORAL_TLS_SERVER_NAME=localhost
TEMPORAL_UI_URL=http://127.0.0.1:$PORT_UI
DATABASE_URL=${url%/*}/saga
EOT
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_service() { # dir, name
  local dir; dir=$(cd "$1" && pwd)
  local name=$2 pidfile="$dir/run/$2.pid"
  server_env "$dir"
  stop_service "$dir" "$name"
  local port
  if [ "$name" = ui ]; then
    port=$PORT_UI
    ( set -a; source "$dir/cluster.env"; export TEMPORAL_UI_PORT=$PORT_UI
      exec setsid "$BIN/temporal-ui-server" --root "$ROOT" --config ops/temporal/ui --env cluster start ) >>"$dir/logs/ui.log" 2>&1 &
  else
    local up=${name^^}; local metrics="PORT_METRICS_$up"; local listens="PORT_$up"
    # The worker service serves no gRPC of its own: it is up once it joins the membership ring.
    [ "$name" = worker ] && listens=PORT_WORKER_MEMBERSHIP
    port=${!listens}
    ( export TEMPORAL_METRICS_ADDRESS="127.0.0.1:${!metrics}"
      exec setsid "$BIN/temporal-server" --root "$ROOT" --config ops/temporal/config --env cluster --allow-no-auth start --service "$name" ) >>"$dir/logs/$name.log" 2>&1 &
  fi
  echo $! >"$pidfile"
  for _ in $(seq 1 300); do
    port_open "$port" && return 0
    pid_alive "$pidfile" || { tail -n 20 "$dir/logs/$name.log" >&2; die "$name exited; see $dir/logs/$name.log"; }
    sleep 0.2
  done
  die "$name did not listen on $port within 60 s; see $dir/logs/$name.log"
}

stop_service() { # dir, name
  local pidfile="$1/run/$2.pid"
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

start() {
  local dir=$1
  ./scripts/setup-cluster.sh
  prepare "$dir"
  dir=$(cd "$dir" && pwd)
  echo "» PostgreSQL (data in $dir/postgres)" >&2
  ./scripts/postgres.sh serve "$dir/postgres" >"$dir/postgres.url"
  client_env "$dir" >"$dir/cluster.env"
  server_env "$dir"
  echo "» Temporal's schemas (ops/temporal/setup-schema.sh)" >&2
  sh ops/temporal/setup-schema.sh >>"$dir/logs/schema.log" 2>&1 || { tail -n 20 "$dir/logs/schema.log" >&2; die "the schema setup failed"; }
  # The platform's own database, on the same server.
  "$BIN/temporal-sql-tool" --plugin postgres12 --ep "$TEMPORAL_DB_HOST" -p "$TEMPORAL_DB_PORT" \
    -u "$TEMPORAL_DB_USER" --pw "$TEMPORAL_DB_PASSWORD" --db saga create >/dev/null 2>&1 || true
  for name in "${SERVICES[@]}"; do
    echo "» Temporal $name (logs: $dir/logs/$name.log)" >&2
    start_service "$dir" "$name"
  done
  echo "» namespace and search attributes (ops/temporal/setup-namespace.sh)" >&2
  ( set -a; source "$dir/cluster.env"; TEMPORAL_CLI=$TEMPORAL_BIN exec sh ops/temporal/setup-namespace.sh ) >>"$dir/logs/namespace.log" 2>&1 &
  local setup=$!
  while kill -0 "$setup" 2>/dev/null; do
    for name in "${SERVICES[@]}"; do
      pid_alive "$dir/run/$name.pid" || { kill "$setup" 2>/dev/null; tail -n 5 "$dir/logs/$name.log" >&2; die "Temporal $name exited; see $dir/logs/$name.log"; }
    done
    sleep 0.5
  done
  wait "$setup" || { tail -n 20 "$dir/logs/namespace.log" >&2; die "the namespace setup failed"; }
  echo "» Web UI (logs: $dir/logs/ui.log)" >&2
  start_service "$dir" ui
  echo "» cluster up: $(grep TEMPORAL_ADDRESS "$dir/cluster.env"), $(grep TEMPORAL_UI_URL "$dir/cluster.env")" >&2
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  stop_service "$dir" ui
  for ((i=${#SERVICES[@]}-1; i>=0; i--)); do stop_service "$dir" "${SERVICES[i]}"; done
  ./scripts/postgres.sh halt "$dir/postgres"
}

case "${1:-}" in
  start) [ -n "${2:-}" ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ -n "${2:-}" ] || die "usage: $0 stop DIR"; stop "$2" ;;
  service) [ -n "${3:-}" ] || die "usage: $0 service DIR NAME"; start_service "$2" "$3" ;;
  env) [ -n "${2:-}" ] || die "usage: $0 env DIR"; cat "$2/cluster.env" ;;
  *) die "usage: $0 start DIR | stop DIR | service DIR NAME | env DIR" ;;
esac
