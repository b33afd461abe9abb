#!/usr/bin/env bash
# Stream connect → caughtUp → close cycles against a fresh `watershed serve` (issue 15, item 4): the live heap
# (glibc mallinfo2, read with gdb) after 1,000 and after 25,000 cycles, then RSS over a second 25,000.
#
# Usage: bash Benchmarks/run-stream-cycles.sh [WATERSHED_BINARY] [CYCLES]
#   WATERSHED_BINARY defaults to this checkout's debug build; CYCLES (default 25000) per half.
# Needs gdb and Python's websockets (pip install websockets). Run from the repository root (the server reads
# playbooks/ and seeds/ from there). Prints the rows of Benchmarks/stream_cycles.py.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-$(swift build --show-bin-path)/watershed}
cycles=${2:-25000}
work=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$binary" serve --port "$port" --peer-port 0 --data "$work/data" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  if [ -f "$work/data/tls/ca.pem" ] && curl -sf --cacert "$work/data/tls/ca.pem" "https://127.0.0.1:$port/healthz" >/dev/null; then break; fi
  sleep 1
done
echo "# $binary, $(nproc) cores, $(date -u +%FT%TZ)"
echo "## first $cycles cycles: live heap after 1,000 and after $cycles"
python3 Benchmarks/stream_cycles.py "$port" "$work/data/tls/ca.pem" "$server" --cycles 1000 --every 1000 --heap
python3 Benchmarks/stream_cycles.py "$port" "$work/data/tls/ca.pem" "$server" --cycles $((cycles - 1000)) \
  --every $((cycles - 1000)) --heap
echo "## second $cycles cycles: RSS"
python3 Benchmarks/stream_cycles.py "$port" "$work/data/tls/ca.pem" "$server" --cycles "$cycles" --every 5000 --heap
