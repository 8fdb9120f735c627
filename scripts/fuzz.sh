#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of Fuzz/ (fuzzer and address sanitizers) and runs each for
# FUZZ_SECONDS (default 60), from its seed corpus in Fuzz/Corpus/<target> plus what earlier runs found
# (Fuzz/.build/corpus/<target>, not in git). Prints executions per target; fails on the first crash, leaving the
# input in Fuzz/.build/artifacts/ (turn it into a regression test, then into a seed).
# Usage: scripts/fuzz.sh [target...]   (FUZZ_SECONDS=10 make fuzz; scripts/fuzz.sh FuzzJSON)
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds=${FUZZ_SECONDS:-60}
swift=${SWIFT:-swift}
read -r -a extra <<<"${SWIFT_BUILD_FLAGS:-}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzRequest FuzzTarget FuzzJSON FuzzSize FuzzConfig FuzzArena)
# SwiftPM's --sanitize flags (they make its links right for libFuzzer's `main`), and libFuzzer's coverage
# instrumentation asked for explicitly: SwiftPM passes its two -sanitize flags in either order, and swiftc given
# `-sanitize=fuzzer -sanitize=address` (that order) compiles without coverage, so libFuzzer would run blind
# ("Is the code instrumented for coverage?").
flags=(--sanitize=fuzzer --sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
  -Xcc -DARENA_SANITIZE_ADDRESS)
"$swift" build "${flags[@]}" "${extra[@]}"
bin=$("$swift" build "${flags[@]}" "${extra[@]}" --show-bin-path)
mkdir -p .build/artifacts
# libFuzzer reports a crash itself; the Swift runtime's backtracer would hold the crashed process up for 30 s.
export SWIFT_BACKTRACE=enable=no
summary=()
for target in "${targets[@]}"; do
  corpus=.build/corpus/$target
  mkdir -p "$corpus"
  log=.build/artifacts/$target.log
  status=0
  # New inputs go to the first directory (the scratch corpus), so the seeds in git stay as they are.
  # A build without coverage fuzzes blind: refuse it.
  # (`__sancov_gen_*`: the per-module counter tables; libFuzzer's own `__sancov_*` functions are always there.)
  counters=$(nm "$bin/$target" | grep -c '__sancov_gen_' || true)
  if [ "$counters" -eq 0 ]; then
    echo "fuzz: $target has no coverage instrumentation (see the flags above)" >&2
    exit 1
  fi
  "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=".build/artifacts/$target-" "$corpus" "Corpus/$target" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  line="$target: ${runs:-?} executions in ${seconds} s, exit $status, corpus $(ls "$corpus" | wc -l) inputs"
  echo "fuzz: $line"
  summary+=("$line")
  if [ "$status" -ne 0 ]; then
    tail -60 "$log" >&2
    echo "fuzz: $target FAILED (input in Fuzz/.build/artifacts/$target-*; log $log)" >&2
    exit 1
  fi
done
printf 'fuzz: %s\n' "${summary[@]}"
