#!/bin/sh
# One-shot (temporal-namespace service, admin-tools image): the namespace the platform runs in
# and the custom search attributes its sagas set, all Keyword (workflows/saga/search-attributes.ts; the
# test test/ops/compose.test.ts keeps this list equal to that one). Safe to run again.
set -eu

ns="${NAMESPACE:-default}"
addr="$TEMPORAL_ADDRESS"

for _ in $(seq 1 120); do temporal operator cluster health --address "$addr" >/dev/null 2>&1 && break; sleep 1; done

temporal operator namespace describe --address "$addr" --namespace "$ns" >/dev/null 2>&1 \
  || temporal operator namespace create --address "$addr" --namespace "$ns" --retention "${RETENTION:-7d}"

# A new namespace takes a moment to reach every service of the server: retry until it has.
for name in SagaType SagaStatus Plate LotId UserId OrderId ReservationId; do
  for attempt in $(seq 1 30); do
    if temporal operator search-attribute list --address "$addr" --namespace "$ns" 2>/dev/null | grep -qw "$name"; then
      echo "search attribute $name exists"; break
    fi
    temporal operator search-attribute create --address "$addr" --namespace "$ns" --name "$name" --type Keyword 2>/dev/null && break
    [ "$attempt" = 30 ] && { echo "could not create search attribute $name" >&2; exit 1; }
    sleep 1
  done
done
echo "namespace $ns ready"
