#!/usr/bin/env bash
# Instruction counts per operation of the benchmarks' measured loops, from `valgrind --tool=callgrind`: on a
# shared 2-core machine wall-clock times move by tens of percent between runs, these counts do not.
# Each kernel is one function of Benchmarks/Tools/InstructionCounts (the benchmark's loop, 1000 operations);
# callgrind counts only inside it (--toggle-collect), over ROUNDS rounds. With cargo and bumpalo, the bumpalo
# reference's loop (Benchmarks/bumpalo) is counted the same way.
# Usage: scripts/bench-callgrind.sh [ROUNDS]   (run from the repository root; builds what it needs)
set -euo pipefail
rounds=${1:-200}
command -v valgrind >/dev/null || { echo "bench-callgrind: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd Benchmarks && swift build -c release --product InstructionCounts >&2)
# Valgrind cannot read the DWARF 5 the toolchain writes ("Possibly corrupted debuginfo file"): count a copy
# without debug information (the symbol table, which --toggle-collect needs, stays).
strip --strip-debug -o "$work/InstructionCounts" "Benchmarks/.build/release/InstructionCounts"

count() {  # NAME FUNCTION-PATTERN COMMAND...
    local name=$1 pattern=$2
    shift 2
    valgrind --tool=callgrind --callgrind-out-file="$work/out" --collect-atstart=no "--toggle-collect=$pattern" \
        "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
    local total
    total=$(sed -n 's/^summary: //p' "$work/out")
    LC_ALL=C awk -v n="$name" -v t="$total" -v ops=$((rounds * 1000)) \
        'BEGIN { printf "%-34s %8.1f\n", n, t / ops }'
}

printf "%-34s %8s\n" "kernel ($rounds x 1000 operations)" "Ir/op"
for kernel in Baseline.cBump16 Baseline.cAtomicBump16 Baseline.cMalloc16 Baseline.malloc16 LocalArena.alloc16 LocalArena.alloc16.traced \
    LocalArena.alloc16.traced.nosite BumpArena.alloc16 BumpArena.alloc16.traced BumpArena.alloc16.traced.nosite; do
    function=kernel_${kernel//./_}
    function=${function%_nosite}
    count "$kernel" "*${function}*" "$work/InstructionCounts" "$kernel" "$rounds"
done
cargo=${CARGO:-$(command -v cargo || true)}
if [ -n "$cargo" ] && ls -d /usr/share/cargo/registry/bumpalo-3.* >/dev/null 2>&1; then
    (cd Benchmarks/bumpalo && "$cargo" build --release --offline --quiet --target-dir ../.build/bumpalo >&2)
    count bumpalo.alloc16 '*kernel_alloc16*' Benchmarks/.build/bumpalo/release/bumpalo-reference --rounds "$rounds"
else
    echo "bench-callgrind: bumpalo skipped: needs cargo and Debian's librust-bumpalo-dev" >&2
fi
