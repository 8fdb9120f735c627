#!/usr/bin/env bash
# Instructions per request of the whole daemon process (its code, libmicrohttpd's, libc's; not the kernel's):
# callgrind runs it twice, for N and for 2N requests of one kind on one keep-alive connection, and the difference
# divided by N is what N more requests cost (start-up and shutdown cancel out). Also printed without
# libmicrohttpd's per-request memset of its connection pool, which callgrind counts per byte (`rep stosb`).
# Usage: Benchmarks/http/callgrind-request.sh BINARY N healthz|get|alloc|blob|metrics|openmetrics
# (blob: a 4 KiB body, as `make bench-http` posts it.)
# (release build; valgrind installed by `scripts/install-deps.sh bench`.) Prints instructions per request.
set -euo pipefail
binary=$1 n=$2 kind=$3
command -v valgrind >/dev/null || { echo "callgrind-request: valgrind is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# Valgrind cannot read the DWARF 5 the toolchain writes: count a copy without debug information.
strip --strip-debug -o "$work/daemon" "$binary"
cat >"$work/config.json" <<'JSON'
{ "log_requests": false, "limits": { "max_arena_bytes": "1GiB", "max_total_bytes": "2GiB" },
  "arenas": [ { "name": "request", "policy": "fixed", "capacity": "1GiB", "trace": true } ] }
JSON
pid=""
run() {  # REQUESTS -> "total memset" instructions of one daemon run
port=$((20000 + RANDOM % 20000))
valgrind --tool=callgrind --callgrind-out-file="$work/out" "$work/daemon" --config "$work/config.json" \
  --port "$port" 2>"$work/err" &
pid=$!
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.3; done
python3 - "$port" "$1" "$kind" <<'PY'
import socket, sys
port, n, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
requests = {
    "healthz": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "get": b"GET /arenas/request HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "alloc": b"POST /arenas/request/allocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: 21\r\n\r\n{\"size\":16,\"align\":8}",
    "blob": b"POST /arenas/request/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 4096\r\n\r\n" + b"a" * 4096,
    "metrics": b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    # What Prometheus sends: OpenMetrics is chosen, with its _created samples.
    "openmetrics": b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/openmetrics-text;version=1.0.0,"
                   b"application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n\r\n",
}
connection = socket.create_connection(("127.0.0.1", port))
buffer = b""
for _ in range(n):
    connection.sendall(requests[kind])
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            head = buffer[:end].decode()
            lengths = [int(line.split(":")[1]) for line in head.split("\r\n") if line.lower().startswith("content-length")]
            need = end + 4 + (lengths[0] if lengths else 0)
            if len(buffer) >= need:
                if not head.startswith("HTTP/1.1 2"):
                    sys.exit(f"callgrind-request: {head.splitlines()[0]}")
                buffer = buffer[need:]
                break
        buffer += connection.recv(65536)
PY
kill "$pid"
wait "$pid" 2>/dev/null || true
local total memset
total=$(sed -n 's/.*Collected : //p' "$work/err" | tr -d ,)
memset=$(callgrind_annotate "$work/out" 2>/dev/null | awk '/memset/ { gsub(",", "", $1); sum += $1 } END { print sum + 0 }')
echo "$total $memset"
}
read -r total1 memset1 < <(run "$n")
read -r total2 memset2 < <(run $((2 * n)))
per=$(((total2 - total1) / n))
without=$(((total2 - memset2 - total1 + memset1) / n))
echo "$kind $(basename "$binary"): $per instructions per request, $without without libmicrohttpd's pool memset ($n more requests)"
