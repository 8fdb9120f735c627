#!/usr/bin/env bash
# Installs the system packages the build and the tests need, only when they are missing.
# Usage: scripts/install-deps.sh [build|test|bench]
set -euo pipefail
need=()
pkg-config --exists libmicrohttpd 2>/dev/null || need+=(libmicrohttpd-dev pkg-config)
case "${1:-build}" in
  test)
    command -v curl >/dev/null || need+=(curl)
    ;;
  bench)
    # Benchmarks/ needs no system library: with Swift 6.3, ordo-one/benchmark counts mallocs with its
    # malloc-interposer package (the MallocInterposer trait). libjemalloc-dev was only for Swift <= 6.2.
    command -v wrk >/dev/null || need+=(wrk)
    ;;
esac
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
