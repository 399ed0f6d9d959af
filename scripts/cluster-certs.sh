#!/usr/bin/env bash
# A throwaway certificate authority for the cluster profile's mutual TLS, made with openssl
# when DIR has none yet:
#   DIR/ca.pem (+ ca.key)           signs the rest; clients trust the frontend through it
#   DIR/server.pem, server.key      the frontend's certificate: localhost, temporal, 127.0.0.1
#   DIR/client.pem, client.key      the platform's client certificate (API, workers, CLI, Web UI)
#   DIR/worker.pem, worker.key      the Temporal worker service's own client certificate
# For development and tests only: a real deployment brings certificates from its own CA.
#   scripts/cluster-certs.sh DIR
set -euo pipefail
dir=${1:?usage: $0 DIR}
[ -f "$dir/client.pem" ] && exit 0
mkdir -p "$dir"
cd "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=saga-platform throwaway CA" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() { # name, common name, extended key usage, subjectAltName
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' "$3" "${4:+subjectAltName=$4}" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server localhost serverAuth "DNS:localhost,DNS:temporal,IP:127.0.0.1"
issue client saga-platform clientAuth
issue worker temporal-system-worker clientAuth
chmod 644 ./*.pem
echo "» made a throwaway CA and certificates in $dir" >&2
