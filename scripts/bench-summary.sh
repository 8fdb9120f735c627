#!/usr/bin/env bash
# Turns a `swift package benchmark` text report into one line per benchmark: ns per operation (from the p50
# throughput, which has more digits than the integer wall-clock column), the ratio to Baseline.malloc16 from
# the same run, and mallocs per operation (p50).
# Usage: scripts/bench-summary.sh REPORT.txt
set -euo pipefail
LC_ALL=C awk -F'│' '
/^Harness\./ { name = ""; next }
/^[A-Z][A-Za-z]+\.[A-Za-z0-9.]+$/ { name = $0; next }
/Malloc \(total\)/ && name != "" { mallocs[name] = $5 + 0 }
/Throughput/ && name != "" { throughput[name] = $5 + 0; order[++count] = name }
END {
    if (!("Baseline.malloc16" in throughput)) { print "bench-summary: no Baseline.malloc16 in the report" > "/dev/stderr"; exit 1 }
    base = 1000 / throughput["Baseline.malloc16"]
    printf "%-28s %9s %9s %11s\n", "benchmark", "ns/op", "ratio", "mallocs/op"
    for (i = 1; i <= count; i++) {
        n = order[i]; ns = 1000 / throughput[n]
        printf "%-28s %9.2f %9.3f %11s\n", n, ns, ns / base, mallocs[n]
    }
}' "$1"
