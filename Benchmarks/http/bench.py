#!/usr/bin/env python3
"""`make bench-http`: arena-server against a minimal libmicrohttpd server that sends the same bytes.

For each route, the daemon's own response is captured with one request and served by reference.c (the same MHD
flags, options and thread count); then wrk runs alternate between the two servers for ROUNDS rounds of DURATION
seconds, and the report compares requests per second, p50/p99 latency and CPU time per request, which is read
from /proc/PID/task/*/schedstat before and after each run. Medians, with the range over the rounds.

Environment: ROUNDS (default 5), DURATION (seconds per run, default 5), SWIFT (default swift).
The report goes to standard output and, as Markdown, to Benchmarks/.build/bench-http.md.
Python 3 standard library only; needs wrk, gcc and libmicrohttpd (scripts/install-deps.sh bench).
"""

import http.client
import json
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "Benchmarks" / "http"
REPORT = ROOT / "Benchmarks" / ".build" / "bench-http.md"
# The reference binary, the captured responses (one directory per phase) and the servers' logs.
WORK = ROOT / "Benchmarks" / ".build" / "bench-http"
DAEMON = Path(os.environ.get("DAEMON", ROOT / ".build" / "release" / "arena-server"))  # DAEMON=... to measure another build

# What HTTPServer.startDaemon hands libmicrohttpd, from the daemon's configuration. Written into that configuration
# and compiled into the reference with -D, so that the two servers cannot drift apart.
HTTP_OPTIONS = {
    "THREADS": 2,
    "MAX_CONNECTIONS": 512,
    "CONNECTION_TIMEOUT_SECONDS": 30,
    "CONNECTION_MEMORY_BYTES": 65536,
    "MAX_BODY_BYTES": 1 << 20,
}

# Arenas the daemon starts with: the built-in ones (config/arena-server.json), but a `request` arena big enough
# for every allocation and blob of a run (it is reset between runs).
DAEMON_CONFIG = {
    "listen": {"host": "127.0.0.1", "port": 0},
    "threads": HTTP_OPTIONS["THREADS"],
    "log_requests": False,
    "limits": {
        "max_arenas": 20_000,
        "max_blobs_per_arena": 16_777_216,
        "max_total_bytes": "4GiB",
        "max_arena_bytes": "1GiB",
        "max_body_bytes": HTTP_OPTIONS["MAX_BODY_BYTES"],
        "max_connections": HTTP_OPTIONS["MAX_CONNECTIONS"],
        "connection_timeout_seconds": HTTP_OPTIONS["CONNECTION_TIMEOUT_SECONDS"],
        "connection_memory": HTTP_OPTIONS["CONNECTION_MEMORY_BYTES"],
    },
    "arenas": [
        {"name": "request", "policy": "fixed", "capacity": "1GiB", "trace": True},
        {"name": "frame", "policy": "growing", "initial_chunk": "16KiB", "limit": "16MiB", "trace": True},
        {"name": "scratch", "policy": "fixed", "capacity": "1MiB", "trace": False},
    ],
}

# The same bytes as post-blob.lua sends.
BLOB_BODY = b"a" * 4096
# Generous: at 10,000 arenas GET /arenas is megabytes, and a timed-out request would drop out of the latencies.
WRK_ARGS = ["-t1", "-c32", "--latency", "--timeout", "30s"]


@dataclass
class Route:
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    script: str | None = None  # wrk Lua script under Benchmarks/http/, for the POST routes

    @property
    def name(self):
        return f"{self.method} {self.path}"

    @property
    def file_name(self):
        return re.sub(r"[^A-Za-z0-9]+", "-", self.name.lower()).strip("-")


HEALTHZ = Route("GET", "/healthz")
ARENA = Route("GET", "/arenas/request")
ALLOCATE = Route("POST", "/arenas/request/allocations", b'{"size":16,"align":8}', "application/json",
                 "post-allocation.lua")
BLOB = Route("POST", "/arenas/request/blobs", BLOB_BODY, "application/octet-stream", "post-blob.lua")
METRICS = Route("GET", "/metrics")
ARENAS = Route("GET", "/arenas")

# (phase, extra arenas created over the API before it, routes). Phases run in this order: arenas only grow.
PHASES = [
    ("default arenas", 0, [HEALTHZ, ARENA, ALLOCATE, BLOB, METRICS]),
    ("1,000 extra arenas", 1_000, [METRICS, ARENAS]),
    ("10,000 extra arenas", 10_000, [METRICS, ARENAS]),
]


@dataclass
class Run:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    requests: int
    bad_responses: int  # non-2xx/3xx answers and socket errors: a run with any is not a fair comparison


@dataclass
class Measurement:
    phase: str
    route: Route
    status: int
    body_bytes: int
    daemon: list = field(default_factory=list)
    reference: list = field(default_factory=list)


# MARK: - Servers


class Server:
    """A server process that prints `port=N` on standard output; its standard error goes to a log file."""

    def __init__(self, name, command, log_path):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log)
        self.port = self._read_port()

    def _read_port(self):
        deadline = time.monotonic() + 30
        line = b""
        while not line.endswith(b"\n"):
            ready, _, _ = select.select([self.process.stdout], [], [], max(0, deadline - time.monotonic()))
            chunk = os.read(self.process.stdout.fileno(), 1) if ready else b""
            if not chunk:
                self.stop()
                sys.exit(f"bench-http: {self.name} did not print port=N; see {self.log_path}:\n"
                         + self.log_path.read_text(errors="replace"))
            line += chunk
        return int(line.decode().strip().removeprefix("port="))

    def cpu_nanoseconds(self):
        """Time on CPU of every thread, the first field of schedstat."""
        total = 0
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass  # a thread that ended between the listing and the read
        return total

    def request(self, method, path, body=None, content_type=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Content-Type": content_type} if content_type else {}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# MARK: - Steps


def build():
    swift = os.environ.get("SWIFT", "swift")
    print(f"bench-http: {swift} build -c release --product arena-server", flush=True)
    subprocess.run([swift, "build", "-c", "release", "--product", "arena-server"], cwd=ROOT, check=True)
    WORK.mkdir(parents=True, exist_ok=True)
    binary = WORK / "reference"
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libmicrohttpd"], check=True,
                               capture_output=True, text=True).stdout.split()
    except (FileNotFoundError, subprocess.CalledProcessError):
        flags = ["-lmicrohttpd"]
    defines = [f"-D{name}={value}" for name, value in HTTP_OPTIONS.items()]
    command = ["gcc", "-O2", "-Wall", "-Wextra", *defines, "-o", str(binary), str(HERE / "reference.c"), *flags]
    print("bench-http: " + " ".join(command), flush=True)
    subprocess.run(command, check=True)
    return binary


def create_arenas(daemon, first, end):
    """Creates a-first ... a-(end-1) on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=60)
    try:
        for number in range(first, end):
            body = json.dumps({"name": f"a-{number}", "policy": "fixed", "capacity": 4096, "trace": False,
                               "class": f"c-{number % 10}"})
            connection.request("POST", "/arenas", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            text = response.read()
            if response.status != 201:
                sys.exit(f"bench-http: POST /arenas a-{number}: {response.status} {text.decode(errors='replace')}")
    finally:
        connection.close()


def reset_arena(daemon):
    status, _, text = daemon.request("POST", "/arenas/request/reset")
    if status != 200:
        sys.exit(f"bench-http: POST /arenas/request/reset: {status} {text.decode(errors='replace')}")


# libmicrohttpd writes these itself, for both servers.
FRAMING_HEADERS = {"date", "content-length", "connection", "transfer-encoding", "keep-alive"}


def capture(daemon, route, directory):
    """The daemon's response to one request, written where the reference reads it (see reference.c)."""
    status, headers, body = daemon.request(route.method, route.path, route.body, route.content_type)
    kept = [(name, value) for name, value in headers if name.lower() not in FRAMING_HEADERS]
    head = f"{route.method} {route.path}\n{status}\n" + "".join(f"{n}: {v}\n" for n, v in kept) + "\n"
    (directory / route.file_name).write_bytes(head.encode() + body)
    return status, kept, body


def check_reference(reference, route, status, headers, body):
    """The reference must answer exactly what was captured, or the comparison means nothing."""
    got_status, got_headers, got_body = reference.request(route.method, route.path, route.body, route.content_type)
    got_kept = [(n, v) for n, v in got_headers if n.lower() not in FRAMING_HEADERS]
    if (got_status, got_kept, got_body) != (status, headers, body):
        sys.exit(f"bench-http: the reference answers {route.name} with {got_status} {got_kept} and "
                 f"{len(got_body)} bytes, not the captured {status} {headers} and {len(body)} bytes")


def wrk(server, route, duration):
    command = ["wrk", *WRK_ARGS, f"-d{duration}s"]
    if route.script:
        command += ["-s", str(HERE / route.script)]
    command.append(f"http://127.0.0.1:{server.port}{route.path}")
    before = server.cpu_nanoseconds()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    after = server.cpu_nanoseconds()
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    if requests == 0:
        sys.exit(f"bench-http: wrk made no request to the {server.name}:\n{output}")
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return Run(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latency_ms(output, "50%"),
        p99_ms=latency_ms(output, "99%"),
        cpu_us_per_request=(after - before) / 1000 / requests,
        requests=requests,
        bad_responses=bad,
    )


def latency_ms(output, percentile):
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE).groups()
    return float(value) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 60e3}[unit]


def measure(daemon, reference, measurement, rounds, duration):
    for round_number in range(rounds):
        # Alternating who goes first cancels a drift of the machine (another build starting) out of the ratios.
        order = [daemon, reference] if round_number % 2 == 0 else [reference, daemon]
        for server in order:
            if server is daemon:
                reset_arena(daemon)  # so that the arena never fills; outside the measured CPU time
            run = wrk(server, measurement.route, duration)
            (measurement.daemon if server is daemon else measurement.reference).append(run)
            print(f"  round {round_number + 1}/{rounds} {server.name:9}  {number(run.requests_per_second):>8} req/s"
                  f"  p50 {number(run.p50_ms)} ms  p99 {number(run.p99_ms)} ms"
                  f"  {number(run.cpu_us_per_request)} µs CPU/request"
                  + (f"  {run.bad_responses} BAD RESPONSES" if run.bad_responses else ""), flush=True)


# MARK: - Report


def number(value):
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value >= 0.001 else f"{value:.2e}"


def spread(values, unit=""):
    """Median, and the range when there is more than one value."""
    text = number(statistics.median(values)) + unit
    if len(values) > 1:
        text += f" ({number(min(values))}–{number(max(values))})"
    return text


def table(measurement):
    d, r = measurement.daemon, measurement.reference
    rows = [["", "daemon", "reference", "daemon/reference"]]
    for label, attribute, unit in [("req/s", "requests_per_second", ""), ("p50 latency", "p50_ms", " ms"),
                                   ("p99 latency", "p99_ms", " ms"), ("CPU per request", "cpu_us_per_request", " µs")]:
        ours = [getattr(run, attribute) for run in d]
        theirs = [getattr(run, attribute) for run in r]
        ratios = [a / b if b else float("inf") for a, b in zip(ours, theirs)]
        rows.append([label, spread(ours, unit), spread(theirs, unit), spread(ratios)])
    # CPU per request also holds the requests in progress when wrk stops (about one per server thread), which
    # only matters when a run completes few: this row shows whether it does.
    rows.append(["requests per run", spread([run.requests for run in d]), spread([run.requests for run in r]), ""])
    bad = sum(run.bad_responses for run in d), sum(run.bad_responses for run in r)
    if any(bad):
        rows.append(["bad responses (total)", str(bad[0]), str(bad[1]), "NOT COMPARABLE"])
    return rows


def title(measurement):
    return (f"{measurement.route.name}, {measurement.phase}: {measurement.status}, "
            f"{measurement.body_bytes:,} body bytes")


def text_table(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def markdown_table(rows):
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def growth(measurements):
    """Time and CPU per request at 10,000 arenas over 1,000, for the routes measured at both."""
    by_key = {(m.phase, m.route.name): m for m in measurements}
    rows = [["route", "server", "body bytes 1k → 10k", "time/request ×", "CPU/request ×"]]
    for route in (METRICS, ARENAS):
        small, large = by_key.get((PHASES[1][0], route.name)), by_key.get((PHASES[2][0], route.name))
        if small is None or large is None:
            continue
        for server in ("daemon", "reference"):
            a, b = getattr(small, server), getattr(large, server)
            # Time per request is the inverse of the throughput at the same concurrency.
            time_ratio = statistics.median(r.requests_per_second for r in a) / statistics.median(
                r.requests_per_second for r in b)
            cpu_ratio = statistics.median(r.cpu_us_per_request for r in b) / statistics.median(
                r.cpu_us_per_request for r in a)
            rows.append([route.name, server, f"{small.body_bytes:,} → {large.body_bytes:,}", f"{time_ratio:.3g}",
                         f"{cpu_ratio:.3g}"])
    return rows


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()} × {os.cpu_count()} CPUs"
    return f"{platform.processor() or 'unknown'} × {os.cpu_count()} CPUs"


def revision():
    if "DAEMON" in os.environ:  # another build: what it says it is
        try:
            return subprocess.run([str(DAEMON), "--version"], capture_output=True, text=True,
                                  check=True).stdout.strip() + f" ({DAEMON})"
        except (OSError, subprocess.CalledProcessError):
            return f"unknown ({DAEMON})"
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (FileNotFoundError, subprocess.CalledProcessError):
        return "unknown"


def report(measurements, rounds, duration):
    command = f"ROUNDS={rounds} DURATION={duration} make bench-http"
    wrk_command = f"wrk {' '.join(WRK_ARGS)} -d{duration}s [-s Benchmarks/http/post-*.lua] URL"
    options = ", ".join(f"{name.lower()}={value}" for name, value in HTTP_OPTIONS.items())
    about = [
        f"CPU: {cpu_model()}",
        f"Command: {command} (each run: {wrk_command})",
        f"Revision: {revision()}; {time.strftime('%Y-%m-%d %H:%M %Z')}; {platform.release()}",
        f"Both servers: libmicrohttpd, {options}; medians over {rounds} round{'s' * (rounds > 1)} "
        "(range in parentheses); CPU per request from /proc/PID/task/*/schedstat.",
    ]
    text = ["", "# bench-http: arena-server vs a minimal libmicrohttpd server sending the same bytes", *about]
    markdown = ["# bench-http: arena-server vs a minimal libmicrohttpd server sending the same bytes", ""]
    markdown += [f"- {line}" for line in about]
    for measurement in measurements:
        rows = table(measurement)
        text += ["", title(measurement), text_table(rows)]
        markdown += ["", f"## {title(measurement)}", "", markdown_table(rows)]
    rows = growth(measurements)
    if len(rows) > 1:
        heading = "At 10,000 extra arenas relative to 1,000 (ratio of medians)"
        text += ["", heading, text_table(rows)]
        markdown += ["", f"## {heading}", "", markdown_table(rows)]
    print("\n".join(text))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(markdown) + "\n")
    print(f"\nbench-http: report written to {REPORT.relative_to(ROOT)}")


# MARK: - Main


def main():
    rounds = int(os.environ.get("ROUNDS", "5"))
    duration = int(os.environ.get("DURATION", "5"))
    if rounds < 1 or duration < 1:
        sys.exit("bench-http: ROUNDS and DURATION must be at least 1")
    if shutil.which("wrk") is None:
        sys.exit("bench-http: wrk is missing; run scripts/install-deps.sh bench")
    reference_binary = build()
    captures = WORK / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    measurements = []
    with tempfile.TemporaryDirectory(prefix="bench-http-") as scratch:
        config = Path(scratch) / "arena-server.json"
        config.write_text(json.dumps(DAEMON_CONFIG, indent=2))
        daemon = Server("daemon", [str(DAEMON), "--port", "0", "--config", str(config)], WORK / "daemon.log")
        try:
            arenas = 0
            for phase, extra_arenas, routes in PHASES:
                print(f"bench-http: {phase}", flush=True)
                create_arenas(daemon, arenas, extra_arenas)
                arenas = extra_arenas
                directory = captures / re.sub(r"[^a-z0-9]+", "-", phase.replace(",", ""))
                directory.mkdir(parents=True)
                for route in routes:
                    # Captured just before its runs, so that it is what the daemon answers then (/metrics grows
                    # with the routes measured before it).
                    reset_arena(daemon)
                    status, headers, body = capture(daemon, route, directory)
                    print(f"{route.name}: {status}, {len(body):,} body bytes", flush=True)
                    reference = Server("reference", [str(reference_binary), str(directory)],
                                       WORK / "reference.log")
                    try:
                        check_reference(reference, route, status, headers, body)
                        measurement = Measurement(phase, route, status, len(body))
                        measure(daemon, reference, measurement, rounds, duration)
                        measurements.append(measurement)
                    finally:
                        reference.stop()
        finally:
            daemon.stop()
    report(measurements, rounds, duration)


if __name__ == "__main__":
    main()
