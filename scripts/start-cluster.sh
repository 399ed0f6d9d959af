#!/usr/bin/env bash
# `make start PROFILE=cluster`: the platform in its production shape on this machine. Installs
# what is missing (scripts/setup.sh, scripts/setup-cluster.sh), then runs
#   the Temporal cluster (scripts/cluster.sh: PostgreSQL, frontend/history/matching/worker,
#   Web UI; mutual TLS), the platform's database on the same PostgreSQL server ("saga"),
#   the vendor simulators, two saga workers and two API processes (ports 3000 and 3001); the
#   workers and the APIs run as built JavaScript with plain node (scripts/build-js.ts), not tsx.
# State stays in data/cluster between runs; logs in data/cluster/logs. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/env.sh

CLUSTER_DIR=${CLUSTER_DIR:-data/cluster}
API_PORTS=(${API_PORTS:-3000 3001})
WORKER_HEALTH_PORTS=(9474 9475)
WORKER_METRICS_PORTS=(9464 9465)
mkdir -p "$CLUSTER_DIR/logs" .tmp

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "» stopping"
  # APIs first, then the workers (they finish the tasks in hand), the simulators, the cluster.
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
  ./scripts/cluster.sh stop "$CLUSTER_DIR"
  echo "» stopped; data kept in $CLUSTER_DIR"
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

wait_http() { # url, what
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "$2 did not come up; see $CLUSTER_DIR/logs/" >&2; exit 1
}

# In the background and waited for, so that a Ctrl-C meanwhile stops at once (bash runs its
# traps only between foreground commands).
./scripts/cluster.sh start "$CLUSTER_DIR" & wait $!
set -a; source "$CLUSTER_DIR/cluster.env"; set +a

# The processes run as in production (NODE_ENV unset counts as production), which refuses the
# development secrets: the profile makes its own once, like its certificates, and keeps them
# beside them (mode 600). The walk-through reads the admin password and the gate key from there.
secrets=$CLUSTER_DIR/secrets.env
if [ ! -f "$secrets" ]; then
  echo "» made the profile's secrets (JWT, admin password, a gate device key) in $secrets"
  (umask 077; printf 'JWT_SECRET=%s\nADMIN_PASSWORD=%s\nDEVICE_KEYS=gate-demo:*:%s\n' \
    "$(openssl rand -hex 32)" "$(openssl rand -hex 12)" "$(openssl rand -hex 24)" >"$secrets.tmp")
  mv "$secrets.tmp" "$secrets"
fi
set -a; source "$secrets"; set +a
export WORKFLOW_BUNDLE_PATH="${WORKFLOW_BUNDLE_PATH:-$PWD/.tmp/workflow-bundle.js}"

echo "» applying database migrations (PostgreSQL)"
npx prisma migrate deploy >/dev/null
echo "» bundling the workflow code; building the API and the worker as JavaScript (.tmp/js)"
node --import tsx workers/build-bundle.ts "$WORKFLOW_BUNDLE_PATH" >/dev/null
node --import tsx scripts/build-js.ts .tmp/js

logs=$CLUSTER_DIR/logs
echo "» starting the vendor simulators (logs: $logs/simulators.log)"
node --import tsx simulators/start.ts >>"$logs/simulators.log" 2>&1 & pids+=($!)
for i in 0 1; do
  echo "» starting saga worker $((i+1)) (logs: $logs/worker-$((i+1)).log, health: http://127.0.0.1:${WORKER_HEALTH_PORTS[i]}/health/ready)"
  WORKER_HEALTH_PORT=${WORKER_HEALTH_PORTS[i]} WORKER_METRICS_PORT=${WORKER_METRICS_PORTS[i]} \
    node .tmp/js/worker.mjs >>"$logs/worker-$((i+1)).log" 2>&1 & pids+=($!)
done
for port in "${API_PORTS[@]}"; do
  echo "» starting an API on port $port (logs: $logs/api-$port.log)"
  PORT=$port node .tmp/js/api.mjs >>"$logs/api-$port.log" 2>&1 & pids+=($!)
done
for port in "${API_PORTS[@]}"; do wait_http "http://127.0.0.1:$port/health/ready" "the API on port $port"; done

node --import tsx scripts/seed-demo.ts
cat <<EOT

  API            http://127.0.0.1:${API_PORTS[0]} and http://127.0.0.1:${API_PORTS[1]}   (try: curl http://127.0.0.1:${API_PORTS[0]}/health)
  Temporal UI    $TEMPORAL_UI_URL
  Temporal gRPC  $TEMPORAL_ADDRESS (mutual TLS; certificates in $CLUSTER_DIR/certs)
  Temporal CLI   set -a; source $CLUSTER_DIR/cluster.env; set +a   # then:
                 $TEMPORAL_BIN workflow list
  Secrets        $secrets (the admin's password, the gate device's key); for the walk-through:
                 set -a; source $secrets; set +a
                 export DEVICE="x-device-key: \${DEVICE_KEYS##*:}"   # and log in with \$ADMIN_PASSWORD
  Logs           $logs/*.log

  Ctrl-C stops everything.
EOT
wait -n "${pids[@]}" || true
echo "» a process exited; see $logs/" >&2
