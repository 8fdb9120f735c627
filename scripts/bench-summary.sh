#!/usr/bin/env bash
# Turns a `swift package benchmark` text report into one line per benchmark: ns per operation (from the p50
# throughput, which has more digits than the integer wall-clock column), the ratio to Baseline.malloc16 from
# the same run, and mallocs per operation (p50). Then the library ratios of the performance targets, all from
# this run: against bumpalo (the p50 lines of Benchmarks/bumpalo, run just before and just after the suite; their
# mean), the C inline bump and glibc's malloc + free (Baseline.c*, measured inside the suite).
# Usage: scripts/bench-summary.sh REPORT.txt [BUMPALO-REPORT.txt ...]
set -euo pipefail
report=$1
shift
bumpalo=$(cat "$@" 2>/dev/null | sed -n 's/^bumpalo.alloc16 .* p50 \([0-9.]*\) .*/\1/p' | tr '\n' ' ')
LC_ALL=C awk -F'│' -v bumpalo="$bumpalo" '
/^Harness\./ { name = ""; next }
/^[A-Z][A-Za-z]+\.[A-Za-z0-9.]+$/ { name = $0; next }
/Malloc \(total\)/ && name != "" { mallocs[name] = $5 + 0 }
/Throughput/ && name != "" { throughput[name] = $5 + 0; order[++count] = name }
function ns(n) { return (n in throughput) ? 1000 / throughput[n] : -1 }
function ratio(label, a, b, target, limit,    r, verdict) {
    if (a < 0 || b <= 0) { printf "%-44s %9s\n", label, "n/a"; return }
    r = a / b
    verdict = (limit == "") ? "" : (r <= limit + 0 ? "met" : "NOT met")
    printf "%-44s %9.2f   %-8s %s\n", label, r, target, verdict
}
END {
    if (!("Baseline.malloc16" in throughput)) { print "bench-summary: no Baseline.malloc16 in the report" > "/dev/stderr"; exit 1 }
    base = ns("Baseline.malloc16")
    printf "%-32s %9s %9s %11s\n", "benchmark", "ns/op", "ratio", "mallocs/op"
    for (i = 1; i <= count; i++) {
        n = order[i]
        printf "%-32s %9.2f %9.3f %11s\n", n, ns(n), ns(n) / base, mallocs[n]
    }
    runs = split(bumpalo, samples, " ")
    sum = 0
    for (i = 1; i <= runs; i++) sum += samples[i]
    b = (runs > 0) ? sum / runs : -1
    printf "\nLibrary ratios (one run; bumpalo p50: %s ns, mean %.2f)\n", (runs > 0 ? bumpalo : "not run"), b
    printf "%-44s %9s   %-8s %s\n", "ratio", "value", "target", ""
    ratio("LocalArena.alloc16 / bumpalo.alloc16", ns("LocalArena.alloc16"), b, "<= 1.0", 1.0)
    ratio("LocalArena.alloc16 / Baseline.cBump16", ns("LocalArena.alloc16"), ns("Baseline.cBump16"), "<= 2.0", 2.0)
    ratio("LocalArena.alloc16.traced / untraced", ns("LocalArena.alloc16.traced"), ns("LocalArena.alloc16"), "<= 1.5", 1.5)
    ratio("BumpArena.alloc16.traced / untraced", ns("BumpArena.alloc16.traced"), ns("BumpArena.alloc16"), "<= 1.5", 1.5)
    ratio("BumpArena.alloc16 / Baseline.cMalloc16", ns("BumpArena.alloc16"), ns("Baseline.cMalloc16"), "<= 0.7", 0.7)
    ratio("BumpArena.alloc16 / Baseline.cAtomicBump16", ns("BumpArena.alloc16"), ns("Baseline.cAtomicBump16"), "", "")
    ratio("BumpArena.alloc16.2threads / alloc16", ns("BumpArena.alloc16.2threads"), ns("BumpArena.alloc16"), "", "")
    printf "%-44s %9.2f ns/op\n", "BumpArena.alloc16.2threads", ns("BumpArena.alloc16.2threads")
}' "$report"
