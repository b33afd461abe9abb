#!/usr/bin/env bash
# Three Watershed nodes behind haproxy, on a PostgreSQL primary with a synchronous streaming standby, all on one
# machine (issue 18, "deploy/"). See deploy/three-nodes/README.md.
#
#   deploy/three-nodes/cluster.sh up DIR        # the pair, one certificate for all three nodes, the nodes, haproxy
#   deploy/three-nodes/cluster.sh status DIR    # which node leads, what haproxy sees, which database is primary
#   deploy/three-nodes/cluster.sh failover DIR  # the primary crashes (pg_ctl stop -m immediate), the standby is promoted
#   deploy/three-nodes/cluster.sh down DIR      # stops everything (DIR is kept: logs)
#   deploy/three-nodes/cluster.sh try           # up, reports through haproxy, failover, more reports, checks, down
#
# Ports (change with the environment): haproxy people 8443 (HTTPS and WSS) and peers 8444 (mutual TLS, passed
# through); the nodes 18443/18444, 28443/28444, 38443/38444; PostgreSQL 15432 (primary) and 15433 (standby).
# WATERSHED names the executable (default: `watershed` on PATH, else the package's debug build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

: "${PEOPLE_PORT:=8443}" "${PEER_PORT:=8444}" "${PG_PRIMARY_PORT:=15432}" "${PG_STANDBY_PORT:=15433}"
: "${NODE_PORTS:=18443 28443 38443}"
read -r -a node_ports <<<"$NODE_PORTS"

watershed_bin() {
  if [ -n "${WATERSHED:-}" ]; then echo "$WATERSHED"
  elif command -v watershed >/dev/null 2>&1; then command -v watershed
  elif [ -x "$root/.build/debug/watershed" ]; then echo "$root/.build/debug/watershed"
  else
    echo "no watershed executable: build it (swift build --product watershed) or set WATERSHED" >&2
    exit 1
  fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

database_url() {
  echo "postgres://watershed@127.0.0.1:$PG_PRIMARY_PORT,127.0.0.1:$PG_STANDBY_PORT/watershed?sslmode=disable"
}

# Waits (up to $2 seconds) until `curl` of $1 through the CA in $dir answers 2xx.
wait_for() {
  local url=$1 seconds=$2
  for _ in $(seq 1 $((seconds * 4))); do
    curl -sf --cacert "$dir/ca.pem" "$url" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  echo "$url did not answer within $seconds s" >&2
  return 1
}

up() {
  local bin
  bin=$(watershed_bin)
  command -v haproxy >/dev/null || { echo "haproxy is not installed: apt-get install haproxy" >&2; exit 1; }
  [ -e "$dir/pg/primary" ] && { echo "$dir already holds a cluster: cluster.sh down $dir, or another DIR" >&2; exit 1; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # The database's owner (postgres, when run as root) must reach DIR/pg; the nodes' folders are 0700 themselves.
  chmod 0755 "$dir"

  echo "PostgreSQL: primary on $PG_PRIMARY_PORT, synchronous standby on $PG_STANDBY_PORT ($dir/pg)"
  "$here/postgres-pair.sh" "$dir/pg" "$PG_PRIMARY_PORT" "$PG_STANDBY_PORT"
  as_pg_owner "$(pg_bin)/psql" -q -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U watershed -d postgres \
    -c 'CREATE DATABASE watershed' >/dev/null

  # One CA and one server certificate for the three nodes: clients reach them through one address and must not
  # care which node answers. (`watershed certs` makes a development CA; a real site uses its own certificates,
  # tlsCert/tlsKey in each node's config file.)
  "$bin" certs --province 450000 --out "$dir/certs" >/dev/null
  cp "$dir/certs/450000/tls/ca.pem" "$dir/ca.pem"

  local index=0 port
  for port in "${node_ports[@]}"; do
    index=$((index + 1))
    local data="$dir/node-$index"
    mkdir -p "$data"
    chmod 0700 "$data"
    cp -R "$dir/certs/450000/tls" "$data/tls"
    (cd "$root" && exec "$bin" serve --database "$(database_url)" --data "$data" --port "$port" \
      --peer-port $((port + 1)) --playbooks "$root/playbooks" --seeds "$root/seeds" --log-level notice \
      >"$dir/node-$index.log" 2>&1) &
    echo $! >"$dir/node-$index.pid"
    echo "node $index: https://127.0.0.1:$port (peers $((port + 1))), pid $(cat "$dir/node-$index.pid"), log $dir/node-$index.log"
  done
  for port in "${node_ports[@]}"; do wait_for "https://127.0.0.1:$port/readyz" 120; done

  haproxy_config >"$dir/haproxy.cfg"
  haproxy -c -q -f "$dir/haproxy.cfg"
  haproxy -D -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid"
  wait_for "https://127.0.0.1:$PEOPLE_PORT/readyz" 30
  echo "haproxy: https://127.0.0.1:$PEOPLE_PORT (people), 127.0.0.1:$PEER_PORT (peers); config $dir/haproxy.cfg"
  echo "try it: curl --cacert $dir/ca.pem https://127.0.0.1:$PEOPLE_PORT/readyz"
}

# The haproxy configuration: TCP passthrough on both ports (TLS ends on the nodes, so a peer's client certificate
# reaches them and WebSocket upgrades pass untouched); a node is taken out while its /readyz — which reads the log's
# head — fails, so a node that lost its database takes no new requests.
haproxy_config() {
  cat <<CFG
# Made by deploy/three-nodes/cluster.sh. Checked with: haproxy -c -f $dir/haproxy.cfg
global
    # Each connection passed through takes two descriptors; keep within the usual 1024…65536 limits.
    maxconn 4000
    log stderr format short local0 notice

defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    # Streams stay open for hours; the server pings a quiet stream, so 5 minutes without a byte is a dead one.
    timeout client 5m
    timeout server 5m

frontend people
    bind 127.0.0.1:$PEOPLE_PORT
    default_backend nodes_people

backend nodes_people
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    default-server check check-ssl check-sni localhost verify required ca-file $dir/ca.pem inter 1s fall 2 rise 2
$(i=0; for p in "${node_ports[@]}"; do i=$((i + 1)); echo "    server node$i 127.0.0.1:$p"; done)

frontend peers
    bind 127.0.0.1:$PEER_PORT
    default_backend nodes_peers

backend nodes_peers
    balance leastconn
    default-server check inter 1s fall 2 rise 2
$(i=0; for p in "${node_ports[@]}"; do i=$((i + 1)); echo "    server node$i 127.0.0.1:$((p + 1))"; done)
CFG
}

status() {
  local index=0 port
  for port in "${node_ports[@]}"; do
    index=$((index + 1))
    local leader
    leader=$(curl -s --cacert "$dir/ca.pem" "https://127.0.0.1:$port/metrics" 2>/dev/null \
      | awk '$1 == "watershed_leader" { print ($2 == 1 ? "leader" : "follower") }')
    echo "node $index (127.0.0.1:$port): ${leader:-not answering}"
  done
  local p
  for p in "$PG_PRIMARY_PORT" "$PG_STANDBY_PORT"; do
    local recovery
    recovery=$(as_pg_owner "$(pg_bin)/psql" -At -h 127.0.0.1 -p "$p" -U watershed -d postgres \
      -c 'SELECT pg_is_in_recovery()' 2>/dev/null || echo down)
    case $recovery in t) echo "PostgreSQL :$p standby" ;; f) echo "PostgreSQL :$p primary" ;; *) echo "PostgreSQL :$p down" ;; esac
  done
}

failover() {
  local bin
  bin=$(pg_bin)
  echo "the primary (:$PG_PRIMARY_PORT) crashes: pg_ctl stop -m immediate"
  as_pg_owner "$bin/pg_ctl" -D "$dir/pg/primary" -m immediate -w stop >/dev/null
  echo "the standby (:$PG_STANDBY_PORT) is promoted: pg_ctl promote"
  as_pg_owner "$bin/pg_ctl" -D "$dir/pg/standby" -w promote >/dev/null
  echo "the nodes find it by themselves (each host of the URL asked pg_is_in_recovery() after a failure)"
}

down() {
  [ -f "$dir/haproxy.pid" ] && { kill "$(cat "$dir/haproxy.pid")" 2>/dev/null || true; rm -f "$dir/haproxy.pid"; }
  local pidfile
  for pidfile in "$dir"/node-*.pid; do
    [ -f "$pidfile" ] || continue
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  sleep 1
  local bin data
  bin=$(pg_bin)
  for data in "$dir/pg/primary" "$dir/pg/standby"; do
    [ -d "$data" ] && { as_pg_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; }
  done
  return 0
}

case "${1:-}" in
  up | status | failover | down)
    dir=${2:?usage: cluster.sh $1 DIR}
    [ "$1" = up ] || dir=$(cd "$dir" && pwd)
    "$1"
    ;;
  try)
    exec python3 "$here/try.py"
    ;;
  haproxy-config)
    dir=${2:?usage: cluster.sh haproxy-config DIR}
    haproxy_config
    ;;
  *)
    echo "usage: cluster.sh up DIR | status DIR | failover DIR | down DIR | haproxy-config DIR | try" >&2
    exit 2
    ;;
esac
