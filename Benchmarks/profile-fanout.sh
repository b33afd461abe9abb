#!/usr/bin/env bash
# Profiles the server during one fan-out (issue 22, figure (a)): the run.sh commands on a fresh server and data
# directory — setup, then `watershed-load fanout --subscribers N --updates 5` — with `perf record -g` attached to
# the server from the first connection to the end. Prints the fan-out's line; leaves the profile at OUT.
# Usage: bash Benchmarks/profile-fanout.sh [--subscribers 10000] [--out /tmp/fanout.perf.data]
# Needs perf (Debian's linux-perf) and a release build (`swift build -c release --product watershed
# --product watershed-load`). Read the publish phase with `perf script -i OUT` (the last seconds of the samples).
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=10000
out=/tmp/fanout.perf.data
while [ $# -gt 0 ]; do
  case "$1" in
    --subscribers) subscribers=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=$(swift build -c release --show-bin-path)
port=${WATERSHED_PORT:-18643}
work=$(mktemp -d "${TMPDIR:-/tmp}/watershed-fanout.XXXXXX")
server_pid=""
perf_pid=""
cleanup() {
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$bin/watershed" serve --port "$port" --peer-port "$((port + 1))" --data "$work/data" --playbooks playbooks \
  --seeds seeds --log-level warning >>"$work/server.log" 2>&1 &
server_pid=$!
. Benchmarks/lib.sh
wait_for_port "$port"
common=(--server watershed --port "$port" --ca "$work/data/tls/ca.pem" --server-pid "$server_pid")
"$bin/watershed-load" setup "${common[@]}" --incidents 64 --out "$work/setup.jsonl" >/dev/null
sleep 2
perf record -F 1999 -g -p "$server_pid" -o "$out" >/dev/null 2>&1 &
perf_pid=$!
sleep 1
"$bin/watershed-load" fanout "${common[@]}" --subscribers "$subscribers" --updates 5 --out "$work/fanout.jsonl" |
  tail -1
kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; perf_pid=""
echo "profile: $out" >&2
