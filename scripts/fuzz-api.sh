#!/usr/bin/env bash
# `make fuzz-api`: schemathesis against a live daemon, from docs/openapi.yaml, for FUZZ_API_SECONDS (default 60).
# Usage: scripts/fuzz-api.sh PATH-TO-arena-server
# Checks every response for a 5xx, an undocumented status or content type, and a body that breaks its schema;
# exits non-zero on any failure (schemathesis prints each with a curl line that reproduces it). Prints the
# requests the daemon answered (its own http_requests_total) and the time taken.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:?usage: scripts/fuzz-api.sh PATH-TO-arena-server}
seconds=${FUZZ_API_SECONDS:-60}
seed=${FUZZ_API_SEED:-$RANDOM}
# FUZZ_API_CHECKS=all for a look beyond the contract (the negative-data and header checks too); not what CI runs.
checks=${FUZZ_API_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}
python=.build/python/bin/python3
[ -x "$python" ] || { echo "fuzz-api: $python is missing: run scripts/install-deps.sh fuzz-api" >&2; exit 1; }

work=$(mktemp -d)
daemon=""
cleanup() {
  if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# The built-in configuration (its declared arenas included), quiet.
echo '{ "log_requests": false }' >"$work/config.json"
"$binary" --port 0 --config "$work/config.json" >"$work/stdout" 2>"$work/stderr" &
daemon=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^port=//p' "$work/stdout")
  [ -n "$port" ] && break
  kill -0 "$daemon" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "fuzz-api: the daemon did not start:" >&2; cat "$work/stderr" >&2; exit 1; }
base=http://127.0.0.1:$port

# The daemon's count of the requests it answered (every route, refusals included).
requests() {
  curl -sS "$base/metrics" | awk '/^http_requests_total[{ ]/ { total += $NF } END { printf "%d\n", total }'
}
before=$(requests)
started=$(date +%s%N)
# From the scratch folder: schemathesis keeps a cache of failures (.schemathesis/) in its working directory, and a run
# must not replay an earlier one's (FUZZ_API_SEED repeats a run).
root=$(pwd)
run() {
  (cd "$work" && SCHEMATHESIS_HOOKS=fuzz_api_hooks PYTHONPATH="$root/scripts" "$root/.build/python/bin/st" run \
    "$root/docs/openapi.yaml" --url "$base" \
    --checks "$checks" \
    --max-time "$seconds" --workers 2 --seed "$1" --request-timeout 10 --no-color) 2>&1 | tee "$work/st.log"
}
status=0
run "$seed" || status=$?
# Once more (another seed) when the only problem was schemathesis's own crash: no failed check, no network error,
# only "Runtime Error" (a CI run ended with a KeyError and `SystemError: AST constructor recursion depth mismatch`
# inside schemathesis's coverage phase, nothing to do with the daemon).
summary=$(grep -E '^=+ .* in [0-9.]+s =+$' "$work/st.log" | tail -1 || true)
if [ "$status" -ne 0 ] && ! grep -q 'failure' <<<"$summary" && kill -0 "$daemon" 2>/dev/null \
  && grep -q 'Runtime Error' "$work/st.log" \
  && ! grep -A20 '^Errors:' "$work/st.log" | grep -E '🚫' | grep -qv 'Runtime Error'; then
  echo "fuzz-api: schemathesis itself failed (Runtime Error, no failed check); running once more with seed $((seed + 1))" >&2
  seed=$((seed + 1))
  status=0
  run "$seed" || status=$?
fi
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
after=$(requests)
alive=yes
kill -0 "$daemon" 2>/dev/null || { alive=no; status=1; }
# Less the two scrapes of `requests` itself.
printf 'fuzz-api: %d requests in %d.%01d s (seed %s), daemon alive: %s, schemathesis exit %d\n' \
  "$((after - before - 1))" "$((elapsed_ms / 1000))" "$((elapsed_ms % 1000 / 100))" "$seed" "$alive" "$status"
if [ "$alive" = no ]; then echo "fuzz-api: the daemon died:" >&2; tail -20 "$work/stderr" >&2; fi
exit "$status"
