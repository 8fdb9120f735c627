#!/usr/bin/env python3
"""Daemon CPU per request of one route with N extra arenas (fixed 4 KiB, 10 classes, as bench.py creates them).

Usage: python3 Benchmarks/http/scrape-cost.py [ARENAS [REQUESTS [PATH]]]   (defaults 10000, 200, /metrics)
DAEMON=/path/to/arena-server measures another build. CPU comes from /proc/PID/task/*/schedstat, so the client's
own time is not counted; run builds interleaved to compare them (docs/PERFORMANCE.md).
"""
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the same daemon configuration and arena creation as make bench-http)

ARENAS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
PATH = sys.argv[3] if len(sys.argv) > 3 else "/metrics"


def daemon_cpu_ns(pid):
    return sum(int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
               for task in os.listdir(f"/proc/{pid}/task"))


def main():
    with tempfile.TemporaryDirectory() as work:
        config = Path(work) / "config.json"
        config.write_text(json.dumps(bench.DAEMON_CONFIG))
        daemon = subprocess.Popen([str(bench.DAEMON), "--config", str(config)], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        try:
            port = None
            for line in daemon.stdout:
                match = re.search(r"127\.0\.0\.1:(\d+)", line)
                if match:
                    port = int(match.group(1))
                    break
            if port is None:
                sys.exit("scrape-cost: the daemon did not say where it listens")

            class Listening:
                pass
            listening = Listening()
            listening.port = port
            bench.create_arenas(listening, 0, ARENAS)
            connection = http.client.HTTPConnection("127.0.0.1", port)
            for _ in range(5):  # warm up
                connection.request("GET", PATH)
                connection.getresponse().read()
            before = daemon_cpu_ns(daemon.pid)
            for _ in range(REQUESTS):
                connection.request("GET", PATH)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    sys.exit(f"scrape-cost: GET {PATH}: {response.status}")
            after = daemon_cpu_ns(daemon.pid)
            print(f"scrape-cost: {bench.DAEMON}: {ARENAS} arenas, GET {PATH}: "
                  f"{(after - before) / REQUESTS / 1000:.1f} us daemon CPU per request ({REQUESTS} requests, "
                  f"{len(body):,} body bytes)")
        finally:
            daemon.terminate()
            daemon.wait()


if __name__ == "__main__":
    main()
