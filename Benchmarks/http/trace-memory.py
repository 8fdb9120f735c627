#!/usr/bin/env python3
"""`make bench-trace-memory`: resident memory per traced arena, for the events it holds, not its ring's capacity.

Starts the release daemon with no arenas, creates N (default 10,000; env ARENAS) traced fixed 4 KiB arenas over the
API, puts 10 allocations (10 events) in each, and prints the RSS growth per arena, what of it lies beyond the
arena's own 4 KiB, and `reserved_bytes` (which counts every ring's full capacity against `max_total_bytes`).
Exit 1 when an arena's events are not all readable. Environment: ARENAS, DAEMON (another binary). Python 3 standard library only.
"""

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAEMON = Path(os.environ.get("DAEMON", ROOT / ".build" / "release" / "arena-server"))  # DAEMON=... to measure another build
ARENAS = int(os.environ.get("ARENAS", "10000"))


def main():
    if not DAEMON.exists():
        sys.exit("bench-trace-memory: build the daemon first (swift build -c release --product arena-server)")
    config = {"log_requests": False, "arenas": [], "limits": {"max_arenas": ARENAS + 10, "max_total_bytes": "16GiB"}}
    path = Path(tempfile.mkdtemp(prefix="bench-trace-memory-")) / "config.json"
    path.write_text(json.dumps(config))
    process = subprocess.Popen([str(DAEMON), "--config", str(path), "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r"port=(\d+)", process.stdout.readline()).group(1))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def request(method, target, body=None):
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, target, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            return response.status, response.read()

        def rss():
            status = Path(f"/proc/{process.pid}/status").read_text()
            return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024

        request("GET", "/healthz")
        time.sleep(0.5)
        before = rss()
        for number in range(ARENAS):
            arena = {"name": f"t{number}", "class": "traced", "policy": "fixed", "capacity": "4KiB", "trace": True}
            status, body = request("POST", "/arenas", arena)
            if status != 201:
                sys.exit(f"bench-trace-memory: create answered {status}: {body[:200]!r}")
            status, body = request("POST", f"/arenas/t{number}/allocations", {"sizes": [16] * 10, "align": 8})
            if status != 201:
                sys.exit(f"bench-trace-memory: allocation answered {status}: {body[:200]!r}")
        time.sleep(1)
        after = rss()
        status, body = request("GET", f"/arenas/t{ARENAS - 1}/events?since=0&format=text")
        if body.decode().count("Allocated 16") != 10:
            print(f"bench-trace-memory: FAIL: the last arena's 10 events are not all readable: {body[:300]!r}")
            return 1
        status, body = request("GET", "/arenas")
        reserved = json.loads(body)["reserved_bytes"]
        per = (after - before) / ARENAS
        print(f"bench-trace-memory: {ARENAS:,} traced 4 KiB arenas, 10 events each: RSS {before / 2**20:.1f} MiB -> "
              f"{after / 2**20:.1f} MiB, {per / 1024:.2f} KiB per arena ({(per - 4096) / 1024:.2f} KiB beyond its "
              f"4 KiB capacity); reserved_bytes {reserved:,} ({reserved / ARENAS / 1024:.0f} KiB per arena, what "
              "counts against max_total_bytes)")
        return 0
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
