#!/usr/bin/env bash
# Installs headless Chromium (Debian's `chromium` package) when it is missing, for
# test/openapi.test.ts (the API's docs page) and test/web-ui.test.ts (the Temporal Web UI). Safe to run again:
# does nothing when `chromium` (or CHROMIUM_BIN) is there.
set -euo pipefail

die() { echo "setup-chromium.sh: $*" >&2; exit 1; }

[ -n "${CHROMIUM_BIN:-}" ] && [ -x "$CHROMIUM_BIN" ] && exit 0
command -v chromium >/dev/null 2>&1 && exit 0

command -v apt-get >/dev/null 2>&1 || die "chromium is missing and apt-get is not available: install Chromium and set CHROMIUM_BIN to run test/openapi.test.ts"
[ "$(id -u)" = 0 ] || die "chromium is missing: run 'apt-get install -y chromium' as root, or set CHROMIUM_BIN"

echo "» installing chromium (Debian's package; the first time only, about a minute)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends chromium >&2; then
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends chromium >&2 || die "apt-get install chromium failed"
fi
command -v chromium >/dev/null 2>&1 || die "the chromium package was installed but chromium is not on the PATH"
echo "» $(chromium --version 2>&1 | head -n 1)" >&2
