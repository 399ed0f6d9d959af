#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests (scripts/test.sh), from Debian's packages.
#
#   scripts/postgres.sh start DIR   installs PostgreSQL when missing, creates a cluster in DIR,
#                                   starts it on 127.0.0.1 on a free port, prints its URL
#                                   (the `postgres` maintenance database; the test setup
#                                   creates a fresh database of its own there)
#   scripts/postgres.sh stop DIR    stops that server and removes DIR (safe to call twice)
#   scripts/postgres.sh install     only installs PostgreSQL when missing
#   scripts/postgres.sh serve DIR   a server whose data stays: the first time as `start` (and
#                                   keeps its URL in DIR/url), later starts the same cluster
#                                   again on the same port; prints its URL (the cluster profile)
#   scripts/postgres.sh halt DIR    stops that server and keeps DIR
#
# initdb and postgres refuse to run as root: as root they run as the `postgres` OS user
# (created by the Debian package). The cluster is for tests only: fsync is off, and it
# listens on loopback TCP only (no Unix socket), with a random password.
# PG_BINDIR may point at the server's bin folder when it is not a Debian install.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "postgres.sh: $*" >&2; exit 1; }

pg_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
}

install_postgres() {
  if [ -n "${PG_BINDIR:-}" ]; then
    [ -x "$PG_BINDIR/initdb" ] || die "PG_BINDIR=$PG_BINDIR has no initdb"
    return 0
  fi
  [ -n "$(pg_bindir)" ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available: install PostgreSQL (or set PG_BINDIR) to run the PostgreSQL tests"
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed: run 'apt-get install -y postgresql' as root (or set PG_BINDIR)"
  echo "» installing PostgreSQL from Debian's packages" >&2
  # The package's post-install may try to start its default cluster; tests never use that one.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2 || die "apt-get install postgresql failed"
  [ -n "$(pg_bindir)" ] || die "PostgreSQL was installed but its initdb was not found (set PG_BINDIR)"
}

# Runs a PostgreSQL server program as the postgres OS user when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
  local dir=$1
  install_postgres
  local bin; bin=$(pg_bindir)
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres || die "cannot create the postgres OS user"
  fi
  stop "$dir"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local password; password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" >"$dir/pwfile"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$dir"
    # The postgres user may not reach a folder inside the checkout (e.g. under a 0700 home):
    # the cluster then lives in /tmp, linked from DIR.
    if ! runuser -u postgres -- test -w "$dir"; then
      local elsewhere; elsewhere=$(mktemp -d /tmp/saga-test-postgres.XXXXXX)
      chown postgres: "$elsewhere"
      mv "$dir/pwfile" "$elsewhere/pwfile"
      rm -rf "$dir"; ln -s "$elsewhere" "$dir"
      dir=$elsewhere
    fi
  fi

  as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth=scram-sha-256 \
    -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/pwfile"

  local port; port=$(free_port)
  cat >>"$dir/data/postgresql.conf" <<EOF

# scripts/postgres.sh: a throwaway test server
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
    || { cat "$dir/postgres.log" >&2; die "the PostgreSQL server did not start"; }
  echo "postgres://postgres:$password@127.0.0.1:$port/postgres"
}

stop() {
  local link=$1
  [ -e "$link" ] || [ -L "$link" ] || return 0
  local dir; dir=$(readlink -f "$link")
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bin; bin=$(pg_bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir" "$link"
}

serve() {
  local dir=$1
  if [ ! -f "$dir/url" ]; then
    local url; url=$(start "$dir")
    # `start` may have moved the cluster to /tmp (a folder the postgres user can reach).
    umask 077; printf '%s\n' "$url" >"$(readlink -f "$dir")/url"
    echo "$url"; return
  fi
  install_postgres
  local real; real=$(readlink -f "$dir")
  [ -d "$real/data" ] || die "$dir/url exists but its cluster ($real/data) is gone: remove $dir to start afresh"
  if ! as_owner "$(pg_bindir)/pg_ctl" -D "$real/data" status >/dev/null 2>&1; then
    as_owner "$(pg_bindir)/pg_ctl" -D "$real/data" -l "$real/postgres.log" -w -t 60 start >/dev/null \
      || { tail -n 20 "$real/postgres.log" >&2; die "the PostgreSQL server in $dir did not start"; }
  fi
  cat "$real/url"
}

halt() {
  local dir=$1
  [ -e "$dir" ] || return 0
  local real; real=$(readlink -f "$dir")
  [ -f "$real/data/postmaster.pid" ] || return 0
  as_owner "$(pg_bindir)/pg_ctl" -D "$real/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) [ -n "${2:-}" ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ -n "${2:-}" ] || die "usage: $0 stop DIR"; stop "$2" ;;
  serve) [ -n "${2:-}" ] || die "usage: $0 serve DIR"; serve "$2" ;;
  halt) [ -n "${2:-}" ] || die "usage: $0 halt DIR"; halt "$2" ;;
  install) install_postgres; echo "PostgreSQL binaries in $(pg_bindir)" ;;
  *) die "usage: $0 start DIR | stop DIR | serve DIR | halt DIR | install" ;;
esac
