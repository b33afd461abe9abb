#!/usr/bin/env bash
# Measures the offline planner and the playbook loader in a release build and writes
# Benchmarks/results/YYYY-MM-DD-planner.md with the machine, the command and the table.
# Usage: bash Benchmarks/run-planner.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product watershed-bench >/dev/null
bin="$(swift build -c release --show-bin-path)/watershed-bench"
out="Benchmarks/results/$(date -u +%Y-%m-%d)-planner.md"
mkdir -p Benchmarks/results
{
  echo "# Planner and loader benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- machine: $(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') memory, $(uname -m), $(uname -r)"
  echo "- toolchain: $(swift --version 2>&1 | head -1)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- command: \`bash Benchmarks/run-planner.sh $*\` (release build, \`$bin $*\`)"
  echo "- goals (issue 2): plan the Longjiang spill through the whole network ≤ 1 ms median and p99; load all playbooks ≤ 200 ms"
  echo
  "$bin" "$@"
} | tee "$out"
echo "wrote $out" >&2
