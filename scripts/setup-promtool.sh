#!/usr/bin/env bash
# Installs promtool (Debian's `prometheus` package, 2.42 on bookworm) when it is missing, for
# test/ops/alerts.test.ts (`promtool check rules`, `promtool test rules`, `promtool check config`).
# Safe to run again: does nothing when promtool is on the PATH.
#
# The package also ships the Prometheus server, and its post-install would start it as a
# service on :9090. Nothing here needs that server: while apt runs, a policy-rc.d (unless the
# machine already has one) refuses service starts; afterwards the service is stopped and
# disabled should it have started anyway, and port 9090 is checked to be free.
set -euo pipefail

die() { echo "setup-promtool.sh: $*" >&2; exit 1; }

command -v promtool >/dev/null 2>&1 && exit 0

command -v apt-get >/dev/null 2>&1 || die "promtool is missing and apt-get is not available: put Prometheus 2.x's promtool on the PATH to run test/ops/alerts.test.ts"
[ "$(id -u)" = 0 ] || die "promtool is missing: run 'apt-get install -y prometheus' as root (it ships promtool), or put promtool on the PATH"

echo "» installing promtool (Debian's prometheus package; the first time only, about 15 s)" >&2
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# scripts/setup-promtool.sh: no service starts while apt installs prometheus\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
  trap 'rm -f "$policy"' EXIT
fi

started=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends prometheus >&2; then
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends prometheus >&2 || die "apt-get install prometheus failed"
fi
echo "» prometheus package installed in $(($(date +%s) - started)) s" >&2
[ "$own_policy" = 1 ] && { rm -f "$policy"; trap - EXIT; }

# The package's server is not wanted: stop and disable it, should it be running.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
elif [ -x /etc/init.d/prometheus ]; then
  /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  command -v update-rc.d >/dev/null 2>&1 && update-rc.d prometheus disable >/dev/null 2>&1 || true
fi
if pgrep -u prometheus -x prometheus >/dev/null 2>&1; then
  echo "setup-promtool.sh: warning: a prometheus server runs as the package's user after the install: stop it (systemctl disable --now prometheus, or /etc/init.d/prometheus stop)" >&2
fi
if command -v ss >/dev/null 2>&1 && ss -Hltn 'sport = :9090' 2>/dev/null | grep -q .; then
  echo "setup-promtool.sh: warning: port 9090 is taken after the install (ss -ltnp 'sport = :9090' says by whom)" >&2
fi

command -v promtool >/dev/null 2>&1 || die "the prometheus package was installed but promtool is not on the PATH"
echo "» $(promtool --version 2>&1 | head -n 1)" >&2
