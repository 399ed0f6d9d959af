#!/usr/bin/env bash
# `make start`: installs what is missing, then runs the whole stack on the embedded defaults:
# the Temporal dev server with its Web UI (state in data/temporal.db), the vendor simulators,
# the worker and the API (data in data/platform.db). Ctrl-C stops all of it; data stays.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/env.sh

export PORT="${PORT:-3000}"
export TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
export TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}"
export TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://127.0.0.1:$TEMPORAL_UI_PORT}" # GET /sagas/:id links here
export DATABASE_URL="${DATABASE_URL:-file:$PWD/data/platform.db}"
export WORKFLOW_BUNDLE_PATH="${WORKFLOW_BUNDLE_PATH:-$PWD/.tmp/workflow-bundle.js}"
# A laptop demo: development chosen explicitly (fault switches on, development secrets allowed);
# webhooks may be plain http to receivers on this machine (never in production).
export NODE_ENV="${NODE_ENV:-development}"
export WEBHOOK_ALLOW_HTTP="${WEBHOOK_ALLOW_HTTP:-true}"
export WEBHOOK_ALLOWED_HOSTS="${WEBHOOK_ALLOWED_HOSTS:-127.0.0.1,localhost}"
mkdir -p data/logs .tmp

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "» stopping"
  # Reverse start order: API first, server last, so that nothing in flight is lost.
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
  echo "» stopped; data kept in data/"
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM # no "a process exited" line after a Ctrl-C

wait_http() { # url, what
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "$2 did not come up; see data/logs/" >&2; exit 1
}

echo "» applying database migrations"
npx prisma migrate deploy >/dev/null
echo "» bundling the workflow code"
node --import tsx workers/build-bundle.ts "$WORKFLOW_BUNDLE_PATH" >/dev/null

echo "» starting the Temporal dev server (logs: data/logs/temporal.log)"
mapfile -t server_args < <(node --import tsx scripts/print-dev-server-args.ts "$TEMPORAL_PORT" data/temporal.db "$TEMPORAL_UI_PORT")
"$TEMPORAL_BIN" "${server_args[@]}" >>data/logs/temporal.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$TEMPORAL_UI_PORT" "the Temporal server"

echo "» starting the vendor simulators (logs: data/logs/simulators.log)"
node --import tsx simulators/start.ts >>data/logs/simulators.log 2>&1 & pids+=($!)
echo "» starting the worker (logs: data/logs/worker.log)"
node --import tsx workers/main.ts >>data/logs/worker.log 2>&1 & pids+=($!)
echo "» starting the API (logs: data/logs/api.log)"
node --import tsx api/server.ts >>data/logs/api.log 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$PORT/health" "the API"

node --import tsx scripts/seed-demo.ts
cat <<EOT

  API            http://127.0.0.1:$PORT        (try: curl http://127.0.0.1:$PORT/health)
  Temporal UI    http://127.0.0.1:$TEMPORAL_UI_PORT
  Temporal gRPC  $TEMPORAL_ADDRESS
  Temporal CLI   $TEMPORAL_BIN
                 (try: $TEMPORAL_BIN workflow list --address $TEMPORAL_ADDRESS)
  Logs           data/logs/*.log

  Ctrl-C stops everything.
EOT
wait -n "${pids[@]}" || true
echo "» a process exited; see data/logs/" >&2
