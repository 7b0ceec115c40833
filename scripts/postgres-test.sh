#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + pgvector for tests and benchmarks, on 127.0.0.1 with a temporary data dir.
#
#   scripts/postgres-test.sh install   # Debian bookworm, as root: postgresql-15, and pgvector built from
#                                      # Debian's source package (pgvector is not packaged for bookworm)
#   scripts/postgres-test.sh start     # initdb if needed, start, CREATE EXTENSION vector; prints the URL
#   scripts/postgres-test.sh stop | restart | status | url | destroy
#
# Environment: VGENT_PG_PORT (default 55432), VGENT_PG_ROOT (default /tmp/vgent-pg-test).
# Every subcommand is idempotent; `install` is fast when everything is already there.
set -euo pipefail

PORT="${VGENT_PG_PORT:-55432}"
ROOT="${VGENT_PG_ROOT:-/tmp/vgent-pg-test}"
PGVER=15
BIN="/usr/lib/postgresql/$PGVER/bin"
DATA="$ROOT/data"
LOG="$ROOT/server.log"
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

die() { echo "postgres-test.sh: $*" >&2; exit 1; }

# The server refuses to run as root: as root, run its tools as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

have_server() { [ -x "$BIN/postgres" ] && [ -x "$BIN/initdb" ]; }
have_vector() { [ -f "/usr/share/postgresql/$PGVER/extension/vector.control" ]; }

cmd_install() {
  if have_server && have_vector; then return 0; fi
  [ "$(id -u)" = 0 ] || die "installing needs root (apt-get); run: sudo $0 install"
  export DEBIAN_FRONTEND=noninteractive
  if ! have_server || [ ! -f "/usr/include/postgresql/$PGVER/server/postgres.h" ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "postgresql-$PGVER" "postgresql-server-dev-$PGVER" \
      dpkg-dev make gcc >/dev/null
  fi
  if ! have_vector; then
    # Debian packages pgvector from trixie on; its source package builds cleanly against bookworm's server.
    if ! apt-cache showsrc pgvector >/dev/null 2>&1 || [ -z "$(apt-cache showsrc pgvector 2>/dev/null)" ]; then
      cat >/etc/apt/sources.list.d/vgent-pgvector-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
      apt-get update -qq
    fi
    local src
    src="$(mktemp -d)"
    (cd "$src" && apt-get source --download-only pgvector >/dev/null 2>&1 && tar xzf pgvector_*.orig.tar.gz) \
      || die "could not fetch Debian's pgvector source package"
    # OPTFLAGS="": no -march=native, so the build runs on any x86-64 machine.
    make -C "$src"/pgvector-*/ -j"$(nproc)" PG_CONFIG="$BIN/pg_config" OPTFLAGS="" >/dev/null
    make -C "$src"/pgvector-*/ install PG_CONFIG="$BIN/pg_config" >/dev/null
    rm -rf "$src"
  fi
  have_server && have_vector || die "install finished but postgres or pgvector is still missing"
}

running() { [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

cmd_start() {
  have_server || die "PostgreSQL $PGVER is not installed; run: $0 install"
  have_vector || die "pgvector is not installed; run: $0 install"
  mkdir -p "$ROOT"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$ROOT"; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! running; then
    # Durability off: this server holds test data only. Enough connections for concurrent test files.
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o \
      "-c listen_addresses=127.0.0.1 -p $PORT -k $ROOT -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB -c maintenance_work_mem=512MB" \
      start >/dev/null || { tail -n 20 "$LOG" >&2; die "the server did not start (log above)"; }
  fi
  PGOPTIONS="-c client_min_messages=warning" "$BIN/psql" -qAt "$URL" -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
  echo "$URL"
}

cmd_stop() {
  if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
}

case "${1:-start}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) if running; then echo "running: $URL"; else echo "stopped"; exit 3; fi ;;
  url) echo "$URL" ;;
  destroy) cmd_stop; rm -rf "$ROOT" ;;
  *) die "usage: $0 install|start|stop|restart|status|url|destroy" ;;
esac
