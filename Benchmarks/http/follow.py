#!/usr/bin/env python3
"""`make bench-follow`: does a live follower see every event while allocations arrive as fast as the API takes them?

Starts the release daemon with one traced arena (`hot`, ring of RING slots), opens
`GET /arenas/hot/events?follow=1` on a raw socket and counts the `Allocated` lines and the `missed N` notes it
receives, while PRODUCERS connections post batches of BATCH 16-byte allocations for DURATION seconds. Then it waits
until the follower has read up to the last acknowledged event and prints: events acknowledged, events received,
events reported missed, and the rate. Exit 1 when the follower lost an event without being told, or when it was
told of misses although the ring could hold everything that arrived between two of its reads (RING >= rate *
the longest gap between two chunks the follower received).

Environment: DURATION (seconds, default 5), PRODUCERS (2), BATCH (1024), RING (65536). Python 3 standard library only.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAEMON = Path(os.environ.get("DAEMON", ROOT / ".build" / "release" / "arena-server"))  # DAEMON=... to measure another build
DURATION = float(os.environ.get("DURATION", "5"))
PRODUCERS = int(os.environ.get("PRODUCERS", "2"))
BATCH = int(os.environ.get("BATCH", "1024"))
RING = int(os.environ.get("RING", "65536"))


def start_daemon():
    config = {
        "listen": {"host": "127.0.0.1", "port": 0},
        "log_requests": False,
        "limits": {"max_batch": BATCH, "max_total_bytes": "8GiB", "max_arena_bytes": "4GiB"},
        "trace": {"ring_capacity": RING},
        "arenas": [{"name": "hot", "policy": "fixed", "capacity": "4GiB", "trace": True}],
    }
    path = Path(tempfile.mkdtemp(prefix="bench-follow-")) / "config.json"
    path.write_text(json.dumps(config))
    process = subprocess.Popen([str(DAEMON), "--config", str(path), "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    match = re.search(r"port=(\d+)", line)
    if not match:
        process.kill()
        sys.exit(f"bench-follow: the daemon did not print its port: {line!r}")
    return process, int(match.group(1))


class Follower(threading.Thread):
    """Reads the chunked stream; counts allocation lines and missed notes, and the longest gap between reads."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"GET /arenas/hot/events?follow=1&format=text HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.received = 0
        self.missed = 0
        self.last_read = None
        self.longest_gap = 0.0
        self.stop = False

    def run(self):
        raw = b""  # bytes as received: the response head, then chunked transfer coding
        body = b""  # de-chunked body not yet split into lines
        head_done = False
        chunk_left = 0  # bytes of the current chunk still to come (then its CRLF)
        missed = re.compile(rb"missed (\d+)")
        while not self.stop:
            try:
                data = self.sock.recv(1 << 20)
            except OSError:
                return
            if not data:
                return
            now = time.monotonic()
            if self.last_read is not None and self.received > 0:
                self.longest_gap = max(self.longest_gap, now - self.last_read)
            self.last_read = now
            raw += data
            if not head_done:
                end = raw.find(b"\r\n\r\n")
                if end < 0:
                    continue
                raw = raw[end + 4:]
                head_done = True
            while True:
                if chunk_left > 0:
                    take = raw[:chunk_left]
                    body += take
                    raw = raw[len(take):]
                    chunk_left -= len(take)
                    if chunk_left > 0:
                        break
                    raw = raw[2:] if raw.startswith(b"\r\n") else raw  # the CRLF after the chunk (may come later)
                    continue
                if raw.startswith(b"\r\n"):
                    raw = raw[2:]
                line_end = raw.find(b"\r\n")
                if line_end < 0:
                    break
                size = int(raw[:line_end].split(b";")[0], 16)
                raw = raw[line_end + 2:]
                if size == 0:
                    self.stop = True
                    break
                chunk_left = size
            lines = body.split(b"\n")
            body = lines.pop()
            for line in lines:
                if line.startswith(b"Allocated "):
                    self.received += 1
                elif line.startswith(b"#"):
                    found = missed.search(line)
                    if found:
                        self.missed += int(found.group(1))


def produce(port, deadline, counts, index):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"sizes": [16] * BATCH, "align": 8})
    headers = {"Content-Type": "application/json"}
    acknowledged = 0
    while time.monotonic() < deadline:
        connection.request("POST", "/arenas/hot/allocations", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            sys.exit(f"bench-follow: batch answered {response.status}")
        acknowledged += BATCH
    counts[index] = acknowledged


def main():
    if not DAEMON.exists():
        sys.exit("bench-follow: build the daemon first (swift build -c release --product arena-server)")
    process, port = start_daemon()
    try:
        follower = Follower(port)
        follower.start()
        time.sleep(0.3)  # the stream is open and idle: the follower is suspended, waiting for events
        counts = [0] * PRODUCERS
        start = time.monotonic()
        deadline = start + DURATION
        producers = [threading.Thread(target=produce, args=(port, deadline, counts, i)) for i in range(PRODUCERS)]
        for thread in producers:
            thread.start()
        for thread in producers:
            thread.join()
        elapsed = time.monotonic() - start
        acknowledged = sum(counts)
        settle = time.monotonic() + 10
        while follower.received + follower.missed < acknowledged and time.monotonic() < settle:
            time.sleep(0.05)
        follower.stop = True
        rate = acknowledged / elapsed
        fits = RING >= rate * follower.longest_gap
        print(f"bench-follow: {acknowledged:,} events acknowledged in {elapsed:.2f} s ({rate:,.0f} events/s, "
              f"{PRODUCERS} producers, batches of {BATCH}); follower received {follower.received:,}, told of "
              f"{follower.missed:,} missed; longest gap between reads {follower.longest_gap * 1000:.1f} ms "
              f"({rate * follower.longest_gap:,.0f} events at that rate; ring {RING:,})")
        lost = acknowledged - follower.received - follower.missed
        if lost != 0:
            print(f"bench-follow: FAIL: {lost:,} events neither received nor reported missed")
            return 1
        if follower.missed and fits:
            print("bench-follow: FAIL: events were missed although the ring could hold every gap")
            return 1
        print("bench-follow: ok")
        return 0
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
