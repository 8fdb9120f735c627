#!/usr/bin/env bash
# Installs the system packages the build and the tests need, only when they are missing.
# Usage: scripts/install-deps.sh [build|test|fuzz-api|bench]
set -euo pipefail
need=()
pkg-config --exists libmicrohttpd 2>/dev/null || need+=(libmicrohttpd-dev pkg-config)
# zlib: the gzip-compressed pprof profiles.
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev pkg-config)
case "${1:-build}" in
  test|fuzz-api)
    # The OpenAPI checks (scripts/openapi-check.py) and schemathesis run in a venv of Debian's python3 (below).
    [ -x /usr/bin/python3 ] || need+=(python3)
    /usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
    command -v curl >/dev/null || need+=(curl)
    # The log tests pipe the daemon's --log-format json output through the real jq.
    command -v jq >/dev/null || need+=(jq)
    # The profile test reads a live profile with `go tool pprof`, the tool users run.
    command -v go >/dev/null || need+=(golang-go)
    # The monitoring tests: promtool lints /metrics and checks and unit-tests deploy/prometheus/alerts.yml, a real
    # Prometheus server scrapes the daemon and answers every query of deploy/grafana/arena-server.json.
    { command -v promtool && command -v prometheus; } >/dev/null || need+=(prometheus)
    # promtool 2.42 reads text 0.0.4 only: the OpenMetrics exposition is checked by prometheus_client's parser.
    /usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null || need+=(python3-prometheus-client)
    # The systemd unit: `systemd-analyze verify`, and scripts/systemd-sandbox.py's seccomp filters.
    command -v systemd-analyze >/dev/null || need+=(systemd)
    /usr/bin/python3 -c 'import seccomp' 2>/dev/null || need+=(python3-seccomp)
    command -v unshare >/dev/null || need+=(util-linux)
    command -v make >/dev/null || need+=(make)
    # The dashboard browser tests. Chromium is large, so only CI (or whoever asks) gets it; without it those
    # tests are skipped on a developer's machine and fail under CI or with ARENA_INSTALL_CHROMIUM=1.
    want_chromium=0
    case "${CI:-}" in ""|false|0) ;; *) want_chromium=1 ;; esac
    if [ "${ARENA_INSTALL_CHROMIUM:-}" = 1 ]; then want_chromium=1; fi
    if [ "$want_chromium" = 1 ]; then
      # fonts-liberation: without recommended packages Chromium has no font to render the page's text.
      command -v chromium >/dev/null || need+=(chromium fonts-liberation)
    fi
    ;;
  bench)
    # Benchmarks/ needs no system library: with Swift 6.3, ordo-one/benchmark counts mallocs with its
    # malloc-interposer package (the MallocInterposer trait). libjemalloc-dev was only for Swift <= 6.2.
    command -v wrk >/dev/null || need+=(wrk)
    # bench-http compiles its C reference server (libmicrohttpd-dev is installed above).
    command -v gcc >/dev/null || need+=(gcc libc6-dev)
    # The bumpalo reference: Debian's packaged crate, for cargo to build offline (only when there is a cargo).
    if { command -v cargo || [ -x "$HOME/.cargo/bin/cargo" ]; } >/dev/null 2>&1; then
      ls -d /usr/share/cargo/registry/bumpalo-3.* >/dev/null 2>&1 || need+=(librust-bumpalo-dev)
    fi
    ;;
esac
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The Python packages of the OpenAPI contract, from PyPI into .build/python (a venv of /usr/bin/python3, the one
# interpreter of these checks: Debian's python3 refuses pip outside a venv), again only when the requirements changed.
case "${1:-build}" in
  test|fuzz-api)
    root=$(cd "$(dirname "$0")/.." && pwd)
    venv=$root/.build/python
    requirements=$root/scripts/requirements-$1.txt
    if ! cmp -s "$requirements" "$venv/installed-$1.txt" 2>/dev/null; then
      echo "install-deps: installing the Python packages of $(basename "$requirements") into $venv" >&2
      [ -x "$venv/bin/python3" ] || /usr/bin/python3 -m venv "$venv"
      "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r "$requirements"
      cp "$requirements" "$venv/installed-$1.txt"
    fi
    ;;
esac
