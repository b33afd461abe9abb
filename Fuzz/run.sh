#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/Package.swift, in their own scratch path .build-fuzz) and runs each for SECONDS
# (default 60) on its committed corpus (Fuzz/corpus/<target>/), printing its executions and any crash file.
# Exit 1 if any target found a crash, a timeout (an input over 10 s) or ran out of memory. docs/fuzzing.md says how to
# replay a crash file.
#
#   Fuzz/run.sh [SECONDS] [TARGET...]      targets: cap report playbook
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(cap report playbook)

started=$SECONDS
swift build --package-path Fuzz --scratch-path .build-fuzz -c debug \
  -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library 2>&1 | grep -E "error|warning: unable|Compiling|Build complete" | tail -3
bin=$(swift build --package-path Fuzz --scratch-path .build-fuzz -c debug --show-bin-path)
echo "fuzz build: $((SECONDS - started)) s"

# Swift's own backtracer would catch the signal first and libFuzzer would write no crash file.
export SWIFT_BACKTRACE=enable=no
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
for target in "${targets[@]}"; do
  # New inputs go to a scratch folder: the committed corpus stays the small seed set.
  mkdir -p "$out/$target" "$out/$target-artifacts"
  status=0
  "$bin/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/$target-artifacts/" "$out/$target" "Fuzz/corpus/$target" >"$out/$target.log" 2>&1 ||
    status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$target.log" | grep -o '[0-9]*$' || true)
  [ -n "$execs" ] || execs=$(grep -o 'Done [0-9]* runs' "$out/$target.log" | grep -o '[0-9]*' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$out/$target.log" | tail -1 || true)
  crashes=$(find "$out/$target-artifacts" -type f | wc -l)
  echo "fuzz-$target: ${execs} executions in ${seconds} s, ${cov:-cov: ?}, exit ${status}, ${crashes} crash file(s)"
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed=$((failed + 1))
    grep -E 'ERROR: libFuzzer|SUMMARY|Fatal error|Test unit written|Base64' "$out/$target.log" | head -8 || true
    mkdir -p Fuzz/crashes
    for crash in "$out/$target-artifacts"/*; do
      [ -f "$crash" ] || continue
      cp "$crash" "Fuzz/crashes/$target-$(basename "$crash")"
      echo "crash file: Fuzz/crashes/$target-$(basename "$crash")" \
        "(replay: $bin/fuzz-$target Fuzz/crashes/$target-$(basename "$crash"))"
    done
  fi
done
echo "fuzz: $((${#targets[@]} - failed)) passed, ${failed} failed"
[ "$failed" -eq 0 ]
