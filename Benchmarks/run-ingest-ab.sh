#!/usr/bin/env bash
# Issue 22, figure (e): durable ingest from 64 writers, two or more `watershed` binaries alternately in one session
# (A, B, A, B, …), each round on a freshly started server with a fresh data directory, the same generator and the
# same commands as Benchmarks/run.sh (setup --incidents 64, then ingest --writers 64 --events N --max-seconds 40).
#
# Usage: bash Benchmarks/run-ingest-ab.sh [--rounds 2] [--events 12000] [--fsync on|off] [--perf DIR] \
#          LABEL=BINARY [LABEL=BINARY …]
#   --fsync off: the data directory is on tmpfs (/dev/shm), where SQLite's fsync returns at once; the server and
#     its `synchronous = FULL` are unchanged. This stands for "no fsync per message" (NATS JetStream's default) for
#     a like-for-like figure; it is not a mode of the server.
#   --perf DIR: `perf record -F 999 -g` on the server during each ingest, written to DIR/LABEL-ROUND.perf.data.
# The generator is the release `watershed-load` of this worktree. Prints one line per run and writes the records
# to $OUT (default /tmp/ingest-ab.jsonl). Ports: WATERSHED_PORT (18543; its peer port is +1).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=Benchmarks/lib.sh
. Benchmarks/lib.sh
root=$(pwd)
rounds=2
events=12000
fsync=on
perf_dir=""
binaries=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --fsync) fsync=$2; shift 2 ;;
    --perf) perf_dir=$2; shift 2 ;;
    *=*) binaries+=("$1"); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#binaries[@]} -gt 0 ] || { echo "give at least one LABEL=BINARY" >&2; exit 2; }
port=${WATERSHED_PORT:-18543}
out=${OUT:-/tmp/ingest-ab.jsonl}
load_bin=$(swift build -c release --show-bin-path)/watershed-load
case "$fsync" in
  on) base=${TMPDIR:-/tmp} ;;
  off) base=/dev/shm ;;
  *) echo "--fsync is on or off" >&2; exit 2 ;;
esac

server_pid=""
perf_pid=""
work=""
cleanup() {
  stop_process "$perf_pid" INT
  stop_process "$server_pid"
  [ -n "$work" ] && rm -rf "$work"
  return 0
}
trap cleanup EXIT


for round in $(seq 1 "$rounds"); do
  for pair in "${binaries[@]}"; do
    label=${pair%%=*}
    bin=${pair#*=}
    work=$(mktemp -d "$base/watershed-ingest.XXXXXX")
    "$bin" serve --port "$port" --peer-port "$((port + 1))" --data "$work/data" --playbooks "$root/playbooks" \
      --seeds "$root/seeds" --log-level warning >>"$work/server.log" 2>&1 &
    server_pid=$!
    wait_for_port "$port"
    common=(--server watershed --port "$port" --ca "$work/data/tls/ca.pem" --server-pid "$server_pid")
    "$load_bin" setup "${common[@]}" --incidents 64 --out "$work/setup.jsonl" >/dev/null
    sleep 2
    if [ -n "$perf_dir" ]; then
      mkdir -p "$perf_dir"
      perf record -F 999 -g -p "$server_pid" -o "$perf_dir/$label-$round.perf.data" >/dev/null 2>&1 &
      perf_pid=$!
      sleep 1
    fi
    "$load_bin" ingest "${common[@]}" --writers 64 --events "$events" --max-seconds 40 --out "$work/ingest.jsonl" \
      >/dev/null
    stop_process "$perf_pid" INT; perf_pid=""
    # The group commit's batches over setup and ingest (a server without the metric prints nothing).
    curl -sk --cacert "$work/data/tls/ca.pem" "https://127.0.0.1:$port/metrics" |
      awk -v label="$label" '/^watershed_commit_batch_events_(sum|count)/ { v[$1] = $2 }
        /^watershed_append_seconds_(sum|count)/ { v[$1] = $2 }
        END { if (v["watershed_commit_batch_events_count"] > 0)
          printf "%s: %d commits, %.1f events per commit, append %.1f ms on average\n", label,
            v["watershed_commit_batch_events_count"],
            v["watershed_commit_batch_events_sum"] / v["watershed_commit_batch_events_count"],
            1000 * v["watershed_append_seconds_sum"] / v["watershed_append_seconds_count"] }' || true
    stop_process "$server_pid"; server_pid=""
    jq -c --arg name "$label" --arg round "$round" --arg fsync "$fsync" \
      '.values + {"label": $name, "round": ($round | tonumber), "fsync": $fsync}' "$work/ingest.jsonl" | tee -a "$out" |
      jq -r '"\(.label) round \(.round) fsync \(.fsync): \(.eventsPerSecond | floor) events/s, p50 \(.p50ms) ms, p99 \(.p99ms) ms, server CPU \(.serverCPU / .requests * 1e6 | floor) µs/request, \(.serverCPU / .seconds * 100 | floor) % / generator \(.loadCPU / .seconds * 100 | floor) %"'
    rm -rf "$work"; work=""
  done
done
