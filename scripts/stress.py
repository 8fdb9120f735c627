#!/usr/bin/env python3
"""make stress: the daemon under load with faults, on loopback, for a bounded time.

STRESS_CONNECTIONS (default 64) client threads, each holding at most one connection at a time, for STRESS_SECONDS
(default 60), against the debug daemon this script starts on a free port with a configuration it writes:

  counted   allocations, batches, blobs and their reads, resets, stats, on arenas of class `counted`
  churn     creates and deletes `counted` arenas while the others use them
  readers   /metrics, GET /arenas, /events, /classes, generations
  followers ?follow=1 streams, read for a while then closed (some never read, some end with a TCP reset)
  droppers  drop mid-head, mid-upload, or after a whole request without reading the answer (class `dropped`)
  slow      dribble a head or a body a byte every 0.3 s
  garbage   random bytes, malformed heads, bad JSON, wrong Host/Origin/Content-Type

and a normal client (127.0.0.1, not one of the connections, in a process of its own) that asks GET /healthz or the stats of the arena
`stable` every 50 ms on a fresh connection and records its worst latency.

Why the allocation check is exact: `arena_allocations_total{class="counted"}` counts every successful allocation of
every arena of the class, live or deleted (ArenaClassMetrics keeps a deleted arena's lifetime counters in its
class), and resets do not lower it. Only the counted and churn threads send requests to `counted` arenas, and they
read every answer to its end (http.client raises on a truncated one), so each allocation in the class is known to
the client: a 201 allocation answer lists its allocations, a 201 blob answer is one allocation, and any other
answer made none (507 would list partial ones, and is a failure anyway). A counted request whose answer is lost
(connection closed under it) would make the count ambiguous: it is counted as `counted_lost` and fails the run.
Everything that drops or garbles goes to arenas of class `dropped`, whose counter is only checked to be at most
the allocations of requests that were sent whole (a request dropped before its body ended must never allocate).

Must-conditions (exit 1 when one fails): no 5xx seen by any client nor counted by the daemon
(http_requests_total), acknowledged == arena_allocations_total{class="counted"}, no foreign blob byte, the daemon
alive to the end and exiting 0 on SIGTERM, the normal client never refused and its worst latency under
LATENCY_BOUND_S, RSS at the end under RSS_GROWTH_BOUND times the settled RSS, and the self-check: every kind of
traffic and fault happened at least once.
"""

import http.client
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

SECONDS = float(os.environ.get("STRESS_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("STRESS_CONNECTIONS", "64"))
SEED = int(os.environ.get("STRESS_SEED", str(int(time.time()))))
# The normal client's bound. The edge tests measure 2.4-30 ms for a normal client under slow-client attacks
# (docs/RELIABILITY.md); here 64 busy connections share 2 vCPUs with the Python clients and other builds, and the
# daemon is a debug build. 1 s is what a person at a dashboard or a health checker (Kubernetes' default probe
# timeout is 1 s) would call the server unresponsive.
LATENCY_BOUND_S = 1.0
# The work is steady: a bounded number of live arenas of bounded limits (CHURN_POOL counted arenas of
# ARENA_LIMIT each, reset before half full; 4 dropped arenas), bounded blob tables, followers that come and go.
# Once warmed up, memory should stay put; a leak of a few hundred bytes per request (about 10^5-10^6 requests a
# run) would pass 1.5x the settled RSS of a debug daemon (tens of MiB).
RSS_GROWTH_BOUND = 1.5
WARMUP_S = min(10.0, SECONDS / 4)
# Counted workers wait up to this long (uniformly) between requests: the daemon stays busy (its 2 worker threads
# handle some thousand requests a second) without a queue that grows without bound, so that the normal client
# measures what the faults cost it rather than its place behind a saturated debug build on a shared machine.
PACE_S = 0.02
ARENA_LIMIT = 16 << 20
RESET_AT = ARENA_LIMIT // 2
CHURN_POOL = 8
DROPPED_ARENAS = 4
BLOB_MAX = 8192

stop = threading.Event()
lock = threading.Lock()
counts = {}
statuses = {}
five_xx = []


def count(key, n=1):
    with lock:
        counts[key] = counts.get(key, 0) + n


def seen(status, what):
    with lock:
        statuses[status] = statuses.get(status, 0) + 1
        counts["responses"] = counts.get("responses", 0) + 1
        if status >= 500 and len(five_xx) < 20:
            five_xx.append(f"{status} {what}")
        if status >= 500:
            counts["5xx"] = counts.get("5xx", 0) + 1


class Pool:
    """The live counted arenas: churn adds and deletes, counted workers pick one."""

    def __init__(self):
        self.names = []
        self.lock = threading.Lock()

    def pick(self, rng):
        with self.lock:
            return rng.choice(self.names) if self.names else None

    def add(self, name):
        with self.lock:
            self.names.append(name)

    def pop_oldest(self):
        with self.lock:
            return self.names.pop(0) if len(self.names) > CHURN_POOL else None


pool = Pool()
PORT = 0


def address(role, index):
    # One address per thread: the per-client connection limit (64) then never applies, as for separate clients.
    return f"127.0.{role}.{index % 250 + 1}"


def connect_raw(source, timeout=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", PORT))
    return s


def read_status(sock, limit=1 << 20):
    """Reads until the server closes or stops sending; returns the first status code or None."""
    data = b""
    try:
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionError, OSError):
        pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


def abort(sock):
    """Closes with a TCP reset (SO_LINGER 0), as a client that crashes does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class Client:
    """A keep-alive HTTP client whose every answer is read to its end."""

    def __init__(self, source):
        self.source = source
        self.conn = None

    def request(self, method, path, body=None, content_type=None, what=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30, source_address=(self.source, 0))
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError) as error:
            self.conn.close()
            self.conn = None
            raise LostAnswer(f"{method} {path}: {error!r}") from error
        seen(response.status, what or f"{method} {path}")
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class LostAnswer(Exception):
    pass


def post_json(client, path, value, what=None):
    return client.request("POST", path, json.dumps(value).encode(), "application/json", what)


def create_arena(client, name, arena_class):
    body = {"name": name, "policy": "growing", "initial_chunk": "16KiB", "limit": ARENA_LIMIT, "class": arena_class}
    status, _ = post_json(client, "/arenas", body, "POST /arenas")
    return status


def counted_worker(index):
    """Counted traffic: every answer read; allocations acknowledged by 201s are summed."""
    rng = random.Random(SEED * 1000 + index)
    client = Client(address(2, index))
    blobs = []  # (url, expected bytes) of this thread's recent uploads
    seq = 0
    while not stop.is_set():
        name = pool.pick(rng)
        if name is None:
            time.sleep(0.01)
            continue
        op = rng.random()
        try:
            if op < 0.30:
                status, data = post_json(
                    client, f"/arenas/{name}/allocations",
                    {"size": rng.randint(0, 512), "align": rng.choice([1, 8, 16, 64])},
                    "POST /arenas/{name}/allocations")
                made = account(status, data, "allocations")
                if made and json.loads(data)["allocations"][-1]["end"] > RESET_AT:
                    reset(client, name)
            elif op < 0.50:
                sizes = [rng.randint(0, 256) for _ in range(rng.randint(1, 64))]
                status, data = post_json(
                    client, f"/arenas/{name}/allocations", {"sizes": sizes}, "POST /arenas/{name}/allocations")
                made = account(status, data, "batches")
                if made and json.loads(data)["allocations"][-1]["end"] > RESET_AT:
                    reset(client, name)
            elif op < 0.70:
                seq += 1
                tag = f"<{index}:{seq}>".encode()
                size = rng.randint(1, BLOB_MAX)
                payload = (tag * (size // len(tag) + 1))[:size]
                status, data = client.request(
                    "POST", f"/arenas/{name}/blobs?align={rng.choice([1, 8, 4096])}", payload,
                    "application/octet-stream", "POST /arenas/{name}/blobs")
                if status == 201:
                    count("acknowledged")
                    count("blob_uploads")
                    answer = json.loads(data)
                    blobs.append((answer["url"], payload))
                    del blobs[:-16]
                    if answer["end"] > RESET_AT:
                        reset(client, name)
                else:
                    expect_no_allocation(status, "blob")
            elif op < 0.85:
                if blobs:
                    # Half the reads take the latest upload (likely still stored), half an older one.
                    url, expected = blobs[-1] if rng.random() < 0.5 else rng.choice(blobs)
                    status, data = client.request("GET", url, what="GET /arenas/{name}/blobs/{id}")
                    if status == 200:
                        count("blob_reads_verified")
                        foreign = sum(1 for a, b in zip(data, expected) if a != b) + abs(len(data) - len(expected))
                        if foreign:
                            count("foreign_bytes", foreign)
                            print(f"stress: FOREIGN bytes in {url}: {foreign} of {len(expected)}", flush=True)
                    elif status in (404, 410):
                        count("blob_reads_released")
                    else:
                        count("unexpected_status")
            elif op < 0.95:
                client.request("GET", f"/arenas/{name}", what="GET /arenas/{name}")
                count("stats")
            elif op < 0.998:
                reset(client, name)
            else:
                client.request("POST", "/reset?prefix=c-", what="POST /reset")
                count("resets")
        except LostAnswer as error:
            # An answer lost on a counted arena: whether it allocated is unknown, so exactness is gone.
            count("counted_lost")
            print(f"stress: counted answer lost: {error}", flush=True)
        stop.wait(rng.uniform(0, PACE_S))
    client.close()


def account(status, data, kind):
    if status == 201:
        made = len(json.loads(data)["allocations"])
        count("acknowledged", made)
        count(kind)
        return made
    expect_no_allocation(status, kind)
    if status == 507:
        # Partial batch: the allocations it made are real (and 507 already fails the run as a 5xx).
        try:
            count("acknowledged", len(json.loads(data).get("allocations", [])))
        except ValueError:
            pass
    return 0


def expect_no_allocation(status, kind):
    if status == 404:
        count("to_deleted_arena")  # the arena was deleted under it: no allocation
    elif status != 507:
        count("unexpected_status")
        print(f"stress: {kind} answered {status}", flush=True)


def reset(client, name):
    client.request("POST", f"/arenas/{name}/reset", what="POST /arenas/{name}/reset")
    count("resets")


def churn_worker(index):
    """Creates counted arenas and deletes the oldest, while counted workers allocate in them."""
    client = Client(address(3, index))
    serial = 0
    while not stop.is_set():
        try:
            serial += 1
            name = f"c-{index}-{serial}"
            if create_arena(client, name, "counted") == 201:
                pool.add(name)
                count("creates")
            old = pool.pop_oldest()
            if old is not None:
                status, _ = client.request("DELETE", f"/arenas/{old}", what="DELETE /arenas/{name}")
                if status == 204:
                    count("deletes")
        except LostAnswer as error:
            count("counted_lost")
            print(f"stress: churn answer lost: {error}", flush=True)
        # Each churn thread replaces an arena 4 times a second: a counted arena lives about a second.
        stop.wait(0.25)
    client.close()


def reader_worker(index):
    rng = random.Random(SEED * 1000 + 500 + index)
    client = Client(address(4, index))
    paths = ["/metrics", "/arenas", "/events?limit=200", "/classes", "/readyz?verbose"]
    while not stop.is_set():
        try:
            name = pool.pick(rng)
            path = rng.choice(paths + ([f"/arenas/{name}/generations", f"/arenas/{name}/events"] if name else []))
            client.request("GET", path, what=f"GET {path.split('?')[0]}")
            count("reads")
        except LostAnswer:
            count("reader_lost")
        stop.wait(rng.uniform(0, 0.05))
    client.close()


def follower_worker(index):
    rng = random.Random(SEED * 1000 + 600 + index)
    while not stop.is_set():
        name = pool.pick(rng)
        path = rng.choice(
            ["/events?follow=1&format=ndjson&heartbeat=1", "/events?follow=1"]
            + ([f"/arenas/{name}/events?follow=1&heartbeat=1"] if name else []))
        try:
            s = connect_raw(address(5, index), timeout=1.0)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n\r\n".encode())
            count("followers")
            until = time.monotonic() + rng.uniform(0.5, 4)
            never_read = rng.random() < 0.2
            first = b""
            while time.monotonic() < until and not stop.is_set():
                if never_read:
                    time.sleep(0.1)
                    continue
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                if len(first) < 32:
                    first += chunk
                count("follower_bytes", len(chunk))
            m = re.match(rb"HTTP/1\.1 (\d{3})", first)
            if m:
                seen(int(m.group(1)), "GET follow")
            if never_read:
                count("followers_stalled")
            if rng.random() < 0.5:
                abort(s)
                count("followers_reset")
            else:
                s.close()
        except OSError:
            count("follower_connect_failed")
            stop.wait(0.1)


def dropped_arena(rng):
    return f"d-{rng.randrange(DROPPED_ARENAS)}"


def dropper_worker(index):
    """Drops mid-head, mid-upload, or after a whole request without reading; arenas of class `dropped`."""
    rng = random.Random(SEED * 1000 + 700 + index)
    host = f"Host: 127.0.0.1:{PORT}\r\n"
    ops = 0
    while not stop.is_set():
        name = dropped_arena(rng)
        kind = rng.choice(["head", "body", "unread"])
        try:
            s = connect_raw(address(6, index))
            if kind == "head":
                head = (f"POST /arenas/{name}/allocations HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
                        "Content-Length: 12\r\n\r\n").encode()
                s.sendall(head[: rng.randrange(1, len(head) - 1)])
                count("drop_mid_head")
            elif kind == "body":
                if rng.random() < 0.5:
                    body = json.dumps({"sizes": [16] * 32}).encode()
                    head = f"POST /arenas/{name}/allocations HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
                else:
                    body = os.urandom(rng.randint(2, 200000))
                    head = f"POST /arenas/{name}/blobs HTTP/1.1\r\n{host}Content-Type: application/octet-stream\r\n"
                s.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body[: rng.randrange(1, len(body))])
                count("drop_mid_upload")
            else:
                sizes = [rng.randint(1, 64) for _ in range(rng.randint(1, 16))]
                body = json.dumps({"sizes": sizes}).encode()
                s.sendall(
                    (f"POST /arenas/{name}/allocations HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
                # Sent whole: it may or may not have allocated when the connection goes.
                count("dropped_sent_whole_allocations", len(sizes))
                count("drop_before_answer")
            if rng.random() < 0.5:
                abort(s)
            else:
                s.close()
        except OSError:
            count("dropper_connect_failed")
        ops += 1
        if ops % 50 == 0:
            # Keeps the dropped arenas from filling (507); this answer is read.
            try:
                client = Client(address(6, index))
                reset(client, name)
                client.close()
            except LostAnswer:
                pass
        stop.wait(rng.uniform(0, 0.02))


def slow_worker(index):
    """Dribbles a head, or a body, a byte every 0.3 s, until the server's timeout ends it (or the run does)."""
    rng = random.Random(SEED * 1000 + 800 + index)
    while not stop.is_set():
        body_kind = rng.random() < 0.5
        name = dropped_arena(rng)
        try:
            s = connect_raw(address(7, index), timeout=0.3)
            if body_kind:
                s.sendall(
                    (f"POST /arenas/{name}/blobs HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n"
                     "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n").encode())
                data = b"x" * 100000
                count("slow_bodies")
            else:
                data = (f"GET /arenas/{name} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nX-Slow: "
                        + "a" * 200 + "\r\n\r\n").encode()
                count("slow_heads")
            answer = b""
            for i in range(len(data)):
                if stop.is_set():
                    break
                try:
                    s.sendall(data[i:i + 1])
                except OSError:
                    break
                try:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
                except socket.timeout:
                    pass
            m = re.match(rb"HTTP/1\.1 (\d{3})", answer)
            if m:
                seen(int(m.group(1)), "slow " + ("body" if body_kind else "head"))
                count(f"slow_answered_{m.group(1).decode()}")
            s.close()
        except OSError:
            count("slow_connect_failed")
            stop.wait(0.1)


def garbage_requests(rng, name):
    host = f"Host: 127.0.0.1:{PORT}\r\n"
    junk = os.urandom(rng.randint(1, 2000))
    kinds = [
        junk,
        b"GET /" + junk.replace(b" ", b"").replace(b"\r", b"").replace(b"\n", b"") + b" HTTP/1.1\r\n"
        + host.encode() + b"\r\n",
        (f"POST /arenas/{name}/allocations HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
         "Content-Length: 9\r\n\r\n{\"size\":[").encode(),
        (f"POST /arenas/{name}/allocations HTTP/1.1\r\n{host}Content-Type: text/plain\r\n"
         "Content-Length: 11\r\n\r\n{\"size\":16}").encode(),
        (f"POST /arenas/{name}/reset HTTP/1.1\r\n{host}Origin: http://evil.example\r\n\r\n").encode(),
        (f"GET /arenas HTTP/1.1\r\nHost: evil.example\r\n\r\n").encode(),
        (f"PO\0ST /arenas/{name}/reset HTTP/1.1\r\n{host}\r\n").encode(),
        (f"POST /arenas/{name}/blobs HTTP/1.1\r\n{host}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello").encode(),
        (f"POST /arenas/{name}/blobs HTTP/1.1\r\n{host}Content-Length: -1\r\n\r\n").encode(),
        (f"GET /arenas/{name} HTTP/1.1\r\n{host}X: a\rb\r\n\r\n").encode(),
        (f"POST /arenas HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n").encode(),
        (f"GET /arenas/{name}/events?since=zz&limit=-4 HTTP/1.1\r\n{host}\r\n").encode(),
        (f"DELETE /arenas/{'%FF' * 40} HTTP/1.1\r\n{host}\r\n").encode(),
    ]
    return rng.choice(kinds)


def garbage_worker(index):
    rng = random.Random(SEED * 1000 + 900 + index)
    while not stop.is_set():
        try:
            s = connect_raw(address(8, index), timeout=1.0)
            s.sendall(garbage_requests(rng, dropped_arena(rng)))
            s.shutdown(socket.SHUT_WR)
            status = read_status(s)
            if status is not None:
                seen(status, "garbage")
            count("garbage")
            s.close()
        except OSError:
            count("garbage_connect_failed")
        stop.wait(rng.uniform(0, 0.02))


def normal_client_process(port):
    """`stress.py --normal-client PORT`: the normal client, in a process of its own so that the attackers' threads
    (and Python's global lock) do not delay it: GET /healthz or the stats of `stable`, on a fresh connection from
    127.0.0.1, every 50 ms, until its standard input closes. One line per request: seconds and status (0: failed)."""
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    i = 0
    while not done.is_set():
        i += 1
        path = "/healthz" if i % 2 else "/arenas/stable"
        started = time.monotonic()
        status = 0
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=("127.0.0.1", 0))
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            status = response.status
        except (http.client.HTTPException, OSError) as error:
            print(f"# {path} failed: {error!r}", flush=True)
        print(f"{time.monotonic() - started:.6f} {status} {path}", flush=True)
        done.wait(max(0.0, 0.05 - (time.monotonic() - started)))


latencies = []


def collect_normal(pipe):
    for line in pipe:
        line = line.decode()
        if line.startswith("#"):
            print(f"stress: normal client: {line[2:].strip()}", flush=True)
            continue
        seconds, status, path = line.split()
        with lock:
            latencies.append(float(seconds))
        if status != "200":
            count("normal_refused")
            print(f"stress: normal client {path} answered {status}", flush=True)


def cpu_seconds(pid):
    """User plus system CPU time of the process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def metric_values(text, name):
    """{labels: value} of one metric family's samples in Prometheus text."""
    values = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, _, value = line.rpartition(" ")
            values[key[len(name):]] = float(value)
    return values


def roles(n):
    """How the connections are shared out (each role at least one)."""
    shares = [("counted", 0.40), ("churn", 0.04), ("reader", 0.08), ("follower", 0.12), ("dropper", 0.12),
              ("slow", 0.12), ("garbage", 0.12)]
    out = {role: max(1, int(n * share)) for role, share in shares}
    out["counted"] += max(0, n - sum(out.values()))
    return out


def main():
    global PORT
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="arena-stress-")
    config = {
        "listen": {"host": "127.0.0.1", "port": 0},
        "log_requests": False,
        "limits": {
            # Every expensive read of the readers at once: the gate's 503 `busy` is load shedding by design and
            # is not what this run looks for (a 5xx here must be a failure).
            "max_concurrent_reads": CONNECTIONS + 8,
            # Blob ids never run out between resets (409 would not tell whether the copy was made).
            "max_blobs_per_arena": 1000000,
            "max_total_bytes": "8GiB",
        },
        "arenas": [{"name": "stable", "policy": "fixed", "capacity": "64KiB", "trace": True}],
    }
    config_path = os.path.join(tmp, "stress.json")
    with open(config_path, "w") as f:
        json.dump(config, f)
    log_path = os.path.join(tmp, "daemon.log")
    log = open(log_path, "w")
    daemon = subprocess.Popen([binary, "--config", config_path, "--port", "0"], stdout=subprocess.PIPE, stderr=log)
    line = daemon.stdout.readline().decode()
    if not line.startswith("port="):
        print(f"stress: the daemon did not start ({line!r}); log {log_path}", file=sys.stderr)
        return 1
    PORT = int(line.strip().split("=")[1])
    share = roles(CONNECTIONS)
    print(f"stress: arena-server pid {daemon.pid} on 127.0.0.1:{PORT}, {CONNECTIONS} connections "
          f"({', '.join(f'{k} {v}' for k, v in share.items())}) for {SECONDS:g} s, seed {SEED}", flush=True)
    rss_start = rss_kib(daemon.pid)
    cpu_start = cpu_seconds(daemon.pid)

    setup = Client("127.0.0.1")
    for i in range(DROPPED_ARENAS):
        create_arena(setup, f"d-{i}", "dropped")
    for i in range(CHURN_POOL):
        if create_arena(setup, f"c-init-{i}", "counted") == 201:
            pool.add(f"c-init-{i}")
            count("creates")
    setup.close()

    targets = {"counted": counted_worker, "churn": churn_worker, "reader": reader_worker,
               "follower": follower_worker, "dropper": dropper_worker, "slow": slow_worker,
               "garbage": garbage_worker}
    normal = subprocess.Popen([sys.executable, __file__, "--normal-client", str(PORT)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    threads = []
    collector = threading.Thread(target=collect_normal, args=(normal.stdout,), daemon=True)
    collector.start()
    for role, n in share.items():
        threads += [threading.Thread(target=targets[role], args=(i,), daemon=True) for i in range(n)]
    started = time.monotonic()
    for t in threads:
        t.start()
    crashed = False
    stop.wait(WARMUP_S)
    rss_settled = rss_kib(daemon.pid)
    while time.monotonic() - started < SECONDS:
        if daemon.poll() is not None:
            crashed = True
            break
        time.sleep(0.2)
    stop.set()
    normal.stdin.close()
    normal.wait(timeout=15)
    collector.join(timeout=5)
    for t in threads:
        t.join(timeout=15)
    stuck = sum(t.is_alive() for t in threads)
    crashed = crashed or daemon.poll() is not None
    failures = []
    if crashed:
        failures.append(f"the daemon exited during the run (code {daemon.poll()}); log {log_path}")
        metrics = ""
    else:
        time.sleep(1.0)  # what droppers left in flight ends; memory settles
        rss_end = rss_kib(daemon.pid)
        cpu_used = cpu_seconds(daemon.pid) - cpu_start
        final = Client("127.0.0.1")
        _, body = final.request("GET", "/metrics", what="final GET /metrics")
        final.close()
        metrics = body.decode()
    elapsed = time.monotonic() - started

    allocations = metric_values(metrics, "arena_allocations_total")
    counted_metric = int(allocations.get('{class="counted"}', -1))
    dropped_metric = int(allocations.get('{class="dropped"}', -1))
    server_requests = metric_values(metrics, "http_requests_total")
    server_total = int(sum(server_requests.values()))
    server_5xx = int(sum(v for k, v in server_requests.items() if re.search(r'code="5\d\d"', k)))

    with lock:
        c = dict(counts)
        worst = max(latencies) if latencies else float("inf")
        ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] if ordered else float("nan")
    acknowledged = c.get("acknowledged", 0)

    print(f"stress: {elapsed:.1f} s, requests answered {c.get('responses', 0)} (daemon counted {server_total}), "
          f"statuses {dict(sorted(statuses.items()))}")
    print(f"stress: 5xx seen by clients {c.get('5xx', 0)}, counted by the daemon {server_5xx}"
          + (f": {five_xx}" if five_xx else ""))
    print(f"stress: acknowledged allocations {acknowledged} (allocations {c.get('allocations', 0)} requests, "
          f"batches {c.get('batches', 0)}, blobs {c.get('blob_uploads', 0)}), "
          f"arena_allocations_total{{class=\"counted\"}} {counted_metric}")
    print(f"stress: dropped class: arena_allocations_total {dropped_metric}, at most "
          f"{c.get('dropped_sent_whole_allocations', 0)} (allocations of requests sent whole, answer unread)")
    print(f"stress: blob reads verified {c.get('blob_reads_verified', 0)}, released {c.get('blob_reads_released', 0)}, "
          f"foreign bytes {c.get('foreign_bytes', 0)}")
    print(f"stress: arenas created {c.get('creates', 0)}, deleted {c.get('deletes', 0)}, "
          f"requests to deleted arenas {c.get('to_deleted_arena', 0)}, resets {c.get('resets', 0)}, "
          f"stats {c.get('stats', 0)}, reads {c.get('reads', 0)}")
    print(f"stress: faults: dropped mid-head {c.get('drop_mid_head', 0)}, mid-upload {c.get('drop_mid_upload', 0)}, "
          f"before the answer {c.get('drop_before_answer', 0)}; slow heads {c.get('slow_heads', 0)}, "
          f"slow bodies {c.get('slow_bodies', 0)} (answered 408: {c.get('slow_answered_408', 0)}); "
          f"garbage {c.get('garbage', 0)}; followers {c.get('followers', 0)} ({c.get('follower_bytes', 0)} bytes, "
          f"{c.get('followers_stalled', 0)} never read, {c.get('followers_reset', 0)} ended by RST)")
    if not crashed:
        print(f"stress: daemon CPU {cpu_used:.1f} s in {elapsed:.1f} s ({cpu_used / elapsed * 100:.0f}% of one core); "
              f"load average {os.getloadavg()[0]:.2f}")
        print(f"stress: RSS start {rss_start} KiB, settled ({WARMUP_S:g} s) {rss_settled} KiB, end {rss_end} KiB "
              f"({rss_end / rss_settled:.2f}x settled; bound {RSS_GROWTH_BOUND}x)")
    print(f"stress: normal client: {len(latencies)} requests, p50 {p50 * 1000:.1f} ms, worst {worst * 1000:.1f} ms "
          f"(bound {LATENCY_BOUND_S * 1000:.0f} ms), refused {c.get('normal_refused', 0)}")

    if c.get("5xx", 0) or server_5xx:
        failures.append("5xx answers")
    if acknowledged != counted_metric:
        failures.append(f"acknowledged {acknowledged} != arena_allocations_total {counted_metric}")
    if c.get("counted_lost", 0):
        failures.append(f"{c['counted_lost']} counted answers lost (the count is not exact)")
    if not 0 <= dropped_metric <= c.get("dropped_sent_whole_allocations", 0):
        failures.append("dropped class allocated more than its whole requests asked for")
    if c.get("foreign_bytes", 0):
        failures.append("foreign blob bytes")
    if c.get("unexpected_status", 0):
        failures.append(f"{c['unexpected_status']} unexpected statuses on counted arenas")
    if c.get("normal_refused", 0) or worst > LATENCY_BOUND_S:
        failures.append("normal client refused or too slow")
    if not crashed and rss_end > RSS_GROWTH_BOUND * rss_settled:
        failures.append("RSS grew past the bound")
    if stuck:
        failures.append(f"{stuck} client threads did not stop")
    # Self-check: a run that did not do what it claims proves nothing.
    for key in ["acknowledged", "allocations", "batches", "blob_uploads", "blob_reads_verified", "creates",
                "deletes", "resets", "stats", "reads", "followers", "follower_bytes", "followers_stalled",
                "followers_reset", "drop_mid_head", "drop_mid_upload", "drop_before_answer", "slow_heads",
                "slow_bodies", "garbage"]:
        if c.get(key, 0) == 0:
            failures.append(f"self-check: no {key}")

    if not crashed:
        daemon.send_signal(signal.SIGTERM)
        try:
            code = daemon.wait(timeout=15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            code = "none (killed after 15 s)"
        print(f"stress: SIGTERM: exit {code}")
        if code != 0:
            failures.append(f"exit status after SIGTERM {code}")
    log.close()
    if failures:
        print("stress: FAILED: " + "; ".join(failures) + f" (daemon log {log_path})")
        return 1
    print("stress: passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--normal-client":
        normal_client_process(int(sys.argv[2]))
        sys.exit(0)
    sys.exit(main())
