#!/usr/bin/env bash
# A PostgreSQL primary with a synchronous streaming standby on one machine (issue 18, "Failover"):
#
#   deploy/three-nodes/postgres-pair.sh DIR PRIMARY_PORT STANDBY_PORT
#
# makes DIR/primary (initdb; wal_level = replica; synchronous_standby_names = '*', so a COMMIT returns only once the
# standby has flushed its WAL) and DIR/standby (pg_basebackup -R -X stream: a standby that follows the primary), both
# listening on 127.0.0.1 only, with their sockets and logs in DIR, and starts both. The superuser is `watershed`,
# trusted on loopback (a trial on one machine; on real hosts use scram-sha-256 and a replication user).
#
# Needs Debian's postgresql package (binaries in /usr/lib/postgresql/<version>/bin). initdb refuses root, so as root
# the clusters belong to the `postgres` user (runuser) and DIR is handed to it.
set -euo pipefail
dir=${1:?usage: postgres-pair.sh DIR PRIMARY_PORT STANDBY_PORT}
primary=${2:?usage: postgres-pair.sh DIR PRIMARY_PORT STANDBY_PORT}
standby=${3:?usage: postgres-pair.sh DIR PRIMARY_PORT STANDBY_PORT}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql" >&2
  exit 1
fi
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$dir"
chmod 0755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
as_owner "$bin/initdb" -D "$dir/primary" -U watershed -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
as_owner "$bin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 60 \
  -o "-p $primary -k $dir -c listen_addresses=127.0.0.1 -c synchronous_standby_names='*' -c wal_level=replica \
      -c max_connections=300" \
  start >/dev/null || { cat "$dir/primary.log" >&2; exit 1; }
as_owner "$bin/pg_basebackup" -D "$dir/standby" -R -X stream -h 127.0.0.1 -p "$primary" -U watershed \
  >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
as_owner "$bin/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 60 \
  -o "-p $standby -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null \
  || { cat "$dir/standby.log" >&2; exit 1; }
