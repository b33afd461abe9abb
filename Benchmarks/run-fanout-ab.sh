#!/usr/bin/env bash
# Issue 22, figures (a) and (c): one fan-out — N idle TLS WebSocket subscribers, the server's memory per connection,
# then 5 updates to all of them — with two or more `watershed` binaries alternately in one session (A, B, A, B, …),
# each round on a freshly started server with a fresh data directory, the same generator and the same commands as
# Benchmarks/run.sh (setup --incidents 64, then fanout --subscribers N --updates 5).
#
# Usage: bash Benchmarks/run-fanout-ab.sh [--rounds 2] [--subscribers 10000] LABEL=BINARY [LABEL=BINARY …]
# The generator is the release `watershed-load` of this worktree. Prints one line per run and writes the records
# to $OUT (default /tmp/fanout-ab.jsonl). Ports: WATERSHED_PORT (18743; its peer port is +1).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=Benchmarks/lib.sh
. Benchmarks/lib.sh
root=$(pwd)
rounds=2
subscribers=10000
binaries=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    *=*) binaries+=("$1"); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#binaries[@]} -gt 0 ] || { echo "give at least one LABEL=BINARY" >&2; exit 2; }
port=${WATERSHED_PORT:-18743}
out=${OUT:-/tmp/fanout-ab.jsonl}
load_bin=$(swift build -c release --show-bin-path)/watershed-load
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

server_pid=""
work=""
cleanup() {
  stop_process "$server_pid"
  [ -n "$work" ] && rm -rf "$work"
  return 0
}
trap cleanup EXIT

for round in $(seq 1 "$rounds"); do
  for pair in "${binaries[@]}"; do
    label=${pair%%=*}
    bin=${pair#*=}
    work=$(mktemp -d "${TMPDIR:-/tmp}/watershed-fanout.XXXXXX")
    start() {
      "$bin" serve --port "$port" --peer-port "$((port + 1))" --data "$work/data" --playbooks "$root/playbooks" \
        --seeds "$root/seeds" --log-level warning >>"$work/server.log" 2>&1 &
      server_pid=$!
      wait_for_port "$port"
      common=(--server watershed --port "$port" --ca "$work/data/tls/ca.pem" --server-pid "$server_pid")
    }
    start
    "$load_bin" setup "${common[@]}" --incidents 64 --out "$work/setup.jsonl" >/dev/null
    # As run.sh: the fan-out on a freshly restarted server (same data), after a moment to settle.
    stop_process "$server_pid"
    start
    sleep 2
    "$load_bin" fanout "${common[@]}" --subscribers "$subscribers" --updates 5 --out "$work/fanout.jsonl" >/dev/null
    stop_process "$server_pid"; server_pid=""
    jq -c --arg name "$label" --arg round "$round" '.values + {"label": $name, "round": ($round | tonumber)}' \
      "$work/fanout.jsonl" | tee -a "$out" |
      jq -r '"\(.label) round \(.round): \(.subscribers | floor) subscribers, \(.bytesPerConnection | floor) bytes per idle connection, last subscriber median \(.lastSubscriberMedianMs) ms (max \(.lastSubscriberMaxMs)), p99 \(.p99ms) ms, missing \(.missing | floor)"'
    rm -rf "$work"; work=""
  done
done
