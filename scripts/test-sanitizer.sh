#!/usr/bin/env bash
# The test suite under a sanitizer, in a build directory of its own (.build/asan, .build/tsan).
# Usage: scripts/test-sanitizer.sh address|thread   (make test-asan, make test-tsan)
#
# address: every test (`swift test --sanitize=address`), with ArenaCore's manual poisoning on
#   (ARENA_SANITIZE_ADDRESS, see Sources/CArenaSanitizer/shim.h). Leak checking stays on; the leaks that are not
#   ours (the Swift runtime's and Foundation's one-time allocations) are listed in scripts/lsan.supp.
# thread: the concurrent suites (ArenaCore's and the server's), with ArenaLock's annotations on
#   (ARENA_SANITIZE_THREAD), then the canaries (SanitizerCanaryTests): it fails unless the concurrent suites had no
#   report at all, the unguarded and the Mutex-guarded counters are reported and the ArenaLock-guarded one is not
#   (the guarded canaries force contention: TSan misses a Mutex only on its futex path; see docs/RELIABILITY.md).
set -euo pipefail
kind=${1:?usage: $0 address|thread}
swift=${SWIFT:-swift}
# Extra flags, as the Makefile's SWIFT_BUILD_FLAGS (CI: -Xswiftc -warnings-as-errors).
read -r -a extra <<<"${SWIFT_BUILD_FLAGS:-}"
here=$(cd "$(dirname "$0")" && pwd)
case "$kind" in
  address)
    flags=(--sanitize=address -Xcc -DARENA_SANITIZE_ADDRESS)
    scratch=.build/asan
    ;;
  thread)
    flags=(--sanitize=thread -Xcc -DARENA_SANITIZE_THREAD)
    scratch=.build/tsan
    ;;
  *) echo "$0: unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;;
esac
"$swift" build --build-tests --scratch-path "$scratch" "${flags[@]}" "${extra[@]}"

# The sanitizer reports a crash itself. Swift's backtracer, on top of it, reads the crashed process's stacks in a
# way ASan reports as a stack-buffer-underflow, and the process then hung (a CI run held until its limit): off, here
# and in the daemons the live tests start. A run that hangs anyway fails after TEST_TIMEOUT seconds.
export SWIFT_BACKTRACE=enable=no
timeout=(timeout --kill-after=30 "${TEST_TIMEOUT:-1800}")

if [ "$kind" = address ]; then
  # The daemon processes the live tests start are this build's too, so they run under ASan as well.
  export ARENA_SANITIZER=address
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}
  "${timeout[@]}" "$swift" test --skip-build --scratch-path "$scratch" "${flags[@]}"
  exit
fi

# thread: ArenaCore's concurrent suites and the server's (the registry under HTTP load, streams, the watchdog).
suites='ArenaCoreTests\.(ConcurrencyTests|RegistrationTests|BumpArenaTests|TraceRingTests|SingleWriterRingTests|AsyncCheckpointTests)|ArenaServerTests\.(APIConcurrencyTests|StreamTests)'
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0}
status=0
"${timeout[@]}" "$swift" test --skip-build --scratch-path "$scratch" "${flags[@]}" --filter "$suites" 2>&1 | tee "$log" || status=$?
reports=$(grep -c '^WARNING: ThreadSanitizer' "$log" || true)
echo "test-tsan: concurrent suites: exit $status, $reports ThreadSanitizer report(s)"
if [ "$status" -ne 0 ] || [ "$reports" -ne 0 ]; then
  echo "test-tsan: FAILED: the concurrent suites must pass with no report" >&2
  exit 1
fi
# The canaries, one process each: how many reports each must (not) have.
canary() {  # test name, then "some" or "none"
  local status=0 count
  ARENA_TSAN_CANARY=1 "${timeout[@]}" "$swift" test --skip-build --scratch-path "$scratch" "${flags[@]}" \
    --filter "SanitizerCanaryTests/$1" >"$log" 2>&1 || status=$?
  count=$(grep -c '^WARNING: ThreadSanitizer' "$log" || true)
  echo "test-tsan: canary $1: exit $status, $count report(s), expected $2"
  if { [ "$2" = some ] && [ "$count" -lt 1 ]; } || { [ "$2" = none ] && { [ "$count" -ne 0 ] || [ "$status" -ne 0 ]; }; }; then
    cat "$log" >&2
    echo "test-tsan: FAILED: canary $1" >&2
    exit 1
  fi
}
canary anUnguardedCounter some
canary aMutexGuardedCounter some
canary anArenaLockGuardedCounter none
echo "test-tsan: passed"
