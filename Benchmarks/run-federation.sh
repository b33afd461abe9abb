#!/usr/bin/env bash
# Federation benchmark (issue 5): two `watershed serve` processes (Guangxi 450000, Guangdong 440000), each with its own
# CA and data directory, linked over the peer port with mutual TLS. Measures filed in Guangxi (201) → on a Guangdong
# stream subscriber (p50/p99), and the catch-up of N follow-ups queued while Guangdong was down. Writes
# Benchmarks/results/YYYY-MM-DD-federation.md.
# Usage: bash Benchmarks/run-federation.sh [--reports 40] [--queued 10000] [--gap-ms 200]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product watershed >/dev/null
swift build -c release --product watershed-federation-bench >/dev/null
bin="$(swift build -c release --show-bin-path)"
out="Benchmarks/results/$(date -u +%Y-%m-%d)-federation.md"
mkdir -p Benchmarks/results
{
  echo "# Federation benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- machine: $(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') memory, $(uname -m), $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- toolchain: $(swift --version 2>&1 | head -1)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- command: \`bash Benchmarks/run-federation.sh $*\` (release build, \`$bin/watershed-federation-bench $*\`)"
  echo "- goals (issue 5): filed in Guangxi → on a Guangdong stream subscriber p99 ≤ 50 ms on loopback; report the catch-up of 10,000 queued events"
  echo
  "$bin/watershed-federation-bench" "$@"
} | tee "$out"
echo "wrote $out" >&2
