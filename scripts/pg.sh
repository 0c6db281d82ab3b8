#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for tests and benchmarks: Debian's binaries
# (/usr/lib/postgresql/15/bin), a temporary directory, a free loopback port,
# run as a non-root user (postgres when started by root), stopped after.
#   eval "$(scripts/pg.sh start)"   starts it; exports PG_DIR, RELATIO_TEST_PG (its Unix
#                                    socket as a URL without a database) and
#                                    RELATIO_TEST_PG_TCP (postgresql://relatio@127.0.0.1:PORT)
#   scripts/pg.sh stop [DIR]        stops it and removes the directory
#   scripts/pg.sh restart [DIR]     stops and starts it again on the same port
#   scripts/pg.sh pause|resume [DIR] stops the server / starts it again
# Exit 3 when the binaries are missing (callers print "skipped: no postgresql").
set -euo pipefail
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
if [ ! -x "$bin/pg_ctl" ]; then
  echo "pg.sh: no PostgreSQL binaries in $bin" >&2; exit 3
fi
as_owner() { # runs a command as the cluster's (non-root) owner
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
  dir=$(mktemp -d /tmp/relatio-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_owner "$bin/initdb" -D "$dir/data" -U relatio -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 2; }
  # test settings: no fsync (a crashed test cluster is thrown away), room for
  # one connection per server thread of parallel test servers
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 400
shared_buffers = 128MB
log_min_messages = warning
CONF
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 2; }
  # clients use the Unix socket in $dir: on some kernels a backend waiting
  # on a loopback TCP socket misses a wake-up and stalls a test for minutes
  # (seen on this project's CI VM); the TCP URL is there for benchmarks
  echo "export PG_DIR=$dir RELATIO_TEST_PG=postgresql://relatio@${dir//\//%2F}:$port" \
    "RELATIO_TEST_PG_TCP=postgresql://relatio@127.0.0.1:$port"
  ;;
stop)
  dir=${2:-${PG_DIR:-}}
  [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "pg.sh: no cluster directory" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
restart)
  dir=${2:-${PG_DIR:-}}
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
  ;;
pause) # stops the server, keeps the cluster (tests of a database going away)
  dir=${2:-${PG_DIR:-}}
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  ;;
resume)
  dir=${2:-${PG_DIR:-}}
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
  ;;
*)
  echo "usage: scripts/pg.sh start | stop|restart|pause|resume [DIR]" >&2; exit 1 ;;
esac
