#!/usr/bin/env python3
"""`make bench-idle`: wake-ups and CPU of an idle release daemon (nobody connected, then one idle follower).

Counts the context switches of every thread of the daemon (/proc/PID/task/*/status: each wake-up of a sleeping
thread is one voluntary switch) and its CPU time (/proc/PID/stat) over WINDOW seconds (default 10).
Python 3 standard library only.
"""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAEMON = Path(os.environ.get("DAEMON", ROOT / ".build" / "release" / "arena-server"))  # DAEMON=... to measure another build
WINDOW = float(os.environ.get("WINDOW", "10"))


def switches(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            text = Path(f"/proc/{pid}/task/{task}/status").read_text()
        except FileNotFoundError:
            continue
        total += sum(int(n) for n in re.findall(r"(?:non)?voluntary_ctxt_switches:\s+(\d+)", text))
    return total


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(pid, label):
    s0, c0, t0 = switches(pid), cpu_seconds(pid), time.monotonic()
    time.sleep(WINDOW)
    s1, c1, t1 = switches(pid), cpu_seconds(pid), time.monotonic()
    print(f"bench-idle: {label}: {(s1 - s0) / (t1 - t0):.1f} wake-ups/s, CPU {(c1 - c0) * 1000 / (t1 - t0):.2f} ms/s "
          f"over {t1 - t0:.1f} s")


def main():
    if not DAEMON.exists():
        sys.exit("bench-idle: build the daemon first (swift build -c release --product arena-server)")
    process = subprocess.Popen([str(DAEMON), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    try:
        port = int(re.search(r"port=(\d+)", process.stdout.readline()).group(1))
        time.sleep(2)  # past start-up
        measure(process.pid, "nobody connected")
        follower = socket.create_connection(("127.0.0.1", port))
        follower.sendall(b"GET /arenas/request/events?follow=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(1)
        measure(process.pid, "one idle follower")
        follower.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
