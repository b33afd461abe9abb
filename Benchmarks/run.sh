#!/usr/bin/env bash
# Issue 7: fan-out, sustained load, memory per connection, resume and durable ingest, Watershed and nats-server
# side by side in one run, with the same load generator (watershed-load). Writes Benchmarks/results/YYYY-MM-DD.md
# (or …-HHMM.md if that exists) with the machine, versions, commands and tables.
#
# Usage: bash Benchmarks/run.sh [--quick]
#   --quick: 1k and 2k subscribers and short steps (a smoke test of the harness, a few minutes).
# Ports (loopback only): WATERSHED_PORT (18443; its peer port is +1), NATS_WS_PORT (18450; NATS's own client port
# is +1). Needs nats-server (Debian's package; installed with apt-get when missing) and raises `ulimit -n`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

ws_port=${WATERSHED_PORT:-18443}
nats_port=${NATS_WS_PORT:-18450}

if ! command -v nats-server >/dev/null 2>&1; then
  echo "== installing nats-server" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nats-server >/dev/null
fi

# The commit measured is the one built now.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- Sources Benchmarks/Sources Package.swift 2>/dev/null || commit="$commit (with uncommitted changes)"

echo "== release build" >&2
swift build -c release --product watershed-load >&2
swift build -c release --product watershed >&2
bin=$(swift build -c release --show-bin-path)

# 10k subscribers: 10k sockets in the generator, 10k in the server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 21000 ]; then
  echo "note: ulimit -n is $(ulimit -n); 10k subscribers need about 10,100 descriptors per process" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/watershed-bench.XXXXXX")
jsonl="$work/results.jsonl"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work/watershed" "$work/nats"
}
trap cleanup EXIT

if [ "$quick" = 1 ]; then
  fanout_sizes="2000 1000"; rates="50,100,200,400,800"; step=3; events=3000; behind=2000
else
  fanout_sizes="10000 5000 1000"; rates="25,50,75,100,125,150,200,400,800,1600"; step=5; events=12000; behind=10000
fi

commands=()
load() {
  # Runs one scenario; a failing scenario is recorded and the run goes on.
  local line="watershed-load $*"
  commands+=("$line")
  echo "== $line" >&2
  stdbuf -oL "$bin/watershed-load" "$@" --out "$jsonl" >&2 || echo "   (failed: $line)" >&2
}

wait_for_port() {
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "port $1 did not open" >&2
  return 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

# Each fan-out size, and the sustained run, runs on a freshly started server, so that its RSS "before" for (c) is not memory the allocator
# kept from the size before (10k connections' worth, which gave negative bytes per connection). The server is given
# a moment to settle after it starts.
fresh() {
  stop_server
  commands+=("# a fresh $1 (restarted, same data)")
  "start_$1"
  sleep 2
}

ca="$work/watershed/tls/ca.pem"
# A restart on the same --data keeps the log (the open incidents fan-out files follow-ups on) and the development
# certificate; the tokens come from --seeds.
start_watershed() {
  "$bin/watershed" serve --port "$ws_port" --peer-port "$((ws_port + 1))" --data "$work/watershed" \
    --playbooks "$root/playbooks" --seeds "$root/seeds" --log-level warning >>"$work/watershed.log" 2>&1 &
  server_pid=$!
  wait_for_port "$ws_port"
  common=(--server watershed --port "$ws_port" --ca "$ca" --server-pid "$server_pid")
}

# Fan-out uses core NATS only; a restart on the same store_dir keeps the JetStream stream.
start_nats() {
  nats-server -c "$work/nats/nats.conf" >>"$work/nats.log" 2>&1 &
  server_pid=$!
  wait_for_port "$nats_port"
  common=(--server nats --port "$nats_port" --ca "$ca" --server-pid "$server_pid" --payload-bytes "$frame")
}

started=$(date -u +%Y-%m-%dT%H:%MZ)
t0=$(date +%s)

# ---- Watershed ----
start_watershed
load setup "${common[@]}" --incidents 64
load ingest "${common[@]}" --writers 64 --events "$events" --max-seconds 40
load resume "${common[@]}" --behind "$behind"
for n in $fanout_sizes; do
  fresh watershed
  load fanout "${common[@]}" --subscribers "$n" --updates 5
done
fresh watershed
load sustained "${common[@]}" --subscribers 1000 --rates "$rates" --step-seconds "$step"
stop_server

# ---- NATS: WebSocket with TLS on loopback, the same certificate as Watershed's, JetStream on file ----
frame=$(grep -o '"frameBytes":[0-9.]*' "$jsonl" | tail -1 | cut -d: -f2 | cut -d. -f1)
frame=${frame:-1000}
mkdir -p "$work/nats/js"
cp "$work/watershed/tls/server.pem" "$work/watershed/tls/server-key.pem" "$work/nats/"
cat >"$work/nats/nats.conf" <<EOF
# generated by Benchmarks/run.sh
listen: 127.0.0.1:$((nats_port + 1))
max_payload: 1MB
websocket {
  listen: "127.0.0.1:$nats_port"
  compression: false
  tls {
    cert_file: "$work/nats/server.pem"
    key_file: "$work/nats/server-key.pem"
  }
}
jetstream {
  store_dir: "$work/nats/js"
  max_memory_store: 256MB
  max_file_store: 4GB
}
EOF
start_nats
load setup "${common[@]}"
load ingest "${common[@]}" --writers 64 --events "$events" --max-seconds 40
load resume "${common[@]}" --behind "$behind"
for n in $fanout_sizes; do
  fresh nats
  load fanout "${common[@]}" --subscribers "$n" --updates 5
done
fresh nats
load sustained "${common[@]}" --subscribers 1000 --rates "$rates" --step-seconds "$step"
stop_server
t1=$(date +%s)

# ---- results ----
mkdir -p Benchmarks/results
out="Benchmarks/results/$(date -u +%Y-%m-%d).md"
[ -e "$out" ] && out="Benchmarks/results/$(date -u +%Y-%m-%d-%H%M).md"
{
  echo "# Push benchmarks side by side with NATS (issue 7), $started"
  echo
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -h | awk '/Mem:/ {print $2}') memory, $(uname -m), Linux $(uname -r); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine)"
  echo "- toolchain: $(swift --version 2>&1 | head -1)"
  echo "- nats-server: $(nats-server --version 2>&1)"
  echo "- commit measured: $commit"
  echo "- build: \`swift build -c release --product watershed-load\`, \`--product watershed\`"
  echo "- run: \`bash Benchmarks/run.sh $*\` ($((t1 - t0)) s after the build); payload: the ReportFiled frame a follow-up report produces, $frame bytes; NATS messages padded to the same size"
  echo "- servers: \`watershed serve --port $ws_port --data <tmp> --log-level warning\` (TLS, development certificate); \`nats-server -c <generated nats.conf>\` (WebSocket listener with TLS on 127.0.0.1, the same P-256 certificate, JetStream on file for (d) and (e)); each fan-out size (a, c) and the sustained run (b) on a freshly restarted server (same data)"
  echo "- generator: one process, $(nproc) event loop threads, raw NIO WebSocket clients (NIOSSL, NIOWebSocketClientUpgrader), 64 handshakes at a time, sources 127.0.0.2–9; latency = receipt − the send time written in the payload (one monotonic clock)"
  echo
  echo "**Not like for like:** core NATS stores nothing — a published message goes straight to the subscribers. Watershed commits every event to its SQLite log (\`synchronous = FULL\`, a WAL fsync) before it pushes it, and a publish is an HTTPS request that validates a report. For (d) and (e) NATS uses JetStream with file storage, which acknowledges after writing to the file but does not fsync each message (nats-server's default)."
  echo
  echo "Commands, in order:"
  echo
  for c in "${commands[@]}"; do echo "    $c"; done
  echo
  "$bin/watershed-load" report --in "$jsonl"
  echo
  echo "Targets (issue 7): (a) 10k subscribers p99 ≤ 100 ms; (b) ≥ 100k deliveries/s with TLS; (c) ≤ 30 KB per idle TLS connection; (d) ≤ 200 ms; (e) ≥ 5,000 events/s."
} >"$out"
cp "$jsonl" "${out%.md}.jsonl"
echo "wrote $out" >&2
