#!/bin/sh
# The namespace the platform runs in and the custom search attributes its sagas set, all
# Keyword (workflows/saga/search-attributes.ts; the test test/ops/compose.test.ts keeps this list
# equal to that one). Safe to run again. Used by scripts/cluster.sh (natively) and by the
# temporal-namespace service of docker-compose.temporal.yml. The CLI reads where the frontend is
# and how to reach it from its own variables: TEMPORAL_ADDRESS, and for TLS
# TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH
# (or TEMPORAL_API_KEY). TEMPORAL_CLI names the CLI (default: temporal).
set -eu

ns="${NAMESPACE:-default}"
cli="${TEMPORAL_CLI:-temporal}"

for _ in $(seq 1 120); do "$cli" operator cluster health >/dev/null 2>&1 && break; sleep 1; done

"$cli" operator namespace describe --namespace "$ns" >/dev/null 2>&1 \
  || "$cli" operator namespace create --namespace "$ns" --retention "${RETENTION:-7d}"

# A new namespace takes a moment to reach every service of the server: retry until it has.
for name in SagaType SagaStatus Plate LotId UserId OrderId ReservationId; do
  for attempt in $(seq 1 60); do
    if "$cli" operator search-attribute list --namespace "$ns" 2>/dev/null | grep -qw "$name"; then
      echo "search attribute $name exists"; break
    fi
    "$cli" operator search-attribute create --namespace "$ns" --name "$name" --type Keyword >/dev/null 2>&1 && break
    [ "$attempt" = 60 ] && { echo "could not create search attribute $name" >&2; exit 1; }
    sleep 1
  done
done
echo "namespace $ns ready"
