#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests (issue 18): in a new temporary folder, on a free port of 127.0.0.1,
# its socket in that folder, trust authentication for the superuser `watershed` on loopback only.
#
#   eval "$(Tests/postgres/cluster.sh start)"   # sets WATERSHED_TEST_POSTGRES and WATERSHED_TEST_POSTGRES_DIR
#   swift test --filter WatershedPostgresTests
#   Tests/postgres/cluster.sh stop "$WATERSHED_TEST_POSTGRES_DIR"
#
# A primary with a synchronous streaming standby (pg_basebackup -R), for failover:
#
#   eval "$(Tests/postgres/cluster.sh start-pair)"   # WATERSHED_PAIR_URL (both hosts), _DIR, _PRIMARY, _STANDBY
#   Tests/postgres/cluster.sh stop-primary "$WATERSHED_PAIR_DIR"   # pg_ctl stop -m immediate: a crash
#   Tests/postgres/cluster.sh promote "$WATERSHED_PAIR_DIR"        # the standby becomes the primary
#   Tests/postgres/cluster.sh stop "$WATERSHED_PAIR_DIR"
#
# Needs Debian's postgresql package (its binaries are in /usr/lib/postgresql/<version>/bin, not on PATH). initdb
# refuses to run as root, so as root the cluster belongs to the `postgres` user (runuser); otherwise to you.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/watershed-pg.XXXXXX)
    chmod 0755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U watershed -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export WATERSHED_TEST_POSTGRES=postgres://watershed@127.0.0.1:$port/postgres?sslmode=disable"
    echo "export WATERSHED_TEST_POSTGRES_DIR=$dir"
    ;;
  start-pair)
    dir=$(mktemp -d /tmp/watershed-pg-pair.XXXXXX)
    free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
    primary=$(free_port)
    standby=$(free_port)
    # The same pair as the three-node trial in deploy/ (every commit waits for the standby's flush).
    "$(dirname "$0")/../../deploy/three-nodes/postgres-pair.sh" "$dir" "$primary" "$standby"
    echo "export WATERSHED_PAIR_URL=postgres://watershed@127.0.0.1:$primary,127.0.0.1:$standby/postgres?sslmode=disable"
    echo "export WATERSHED_PAIR_DIR=$dir"
    echo "export WATERSHED_PAIR_PRIMARY=$primary"
    echo "export WATERSHED_PAIR_STANDBY=$standby"
    ;;
  stop-primary)
    dir=${2:?usage: cluster.sh stop-primary DIR}
    as_owner "$bin/pg_ctl" -D "$dir/primary" -m immediate -w stop >/dev/null
    ;;
  promote)
    dir=${2:?usage: cluster.sh promote DIR}
    as_owner "$bin/pg_ctl" -D "$dir/standby" -w promote >/dev/null
    ;;
  stop)
    dir=${2:?usage: cluster.sh stop DIR}
    for data in "$dir/data" "$dir/primary" "$dir/standby"; do
      [ -d "$data" ] && { as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; }
    done
    rm -rf "$dir"
    ;;
  *)
    echo "usage: cluster.sh start | start-pair | stop-primary DIR | promote DIR | stop DIR" >&2
    exit 2
    ;;
esac
