"""schemathesis hooks of scripts/fuzz-api.sh (SCHEMATHESIS_HOOKS=fuzz_api_hooks, PYTHONPATH=scripts).

- Two query parameters are documented as they are but would hold the fuzzer's connections past any request
  timeout: `follow=1` (events) streams until the client leaves, and `seconds=N` (pprof) answers after N seconds,
  up to 60. Before every call (every phase: `before_call`, not `map_query`, which the coverage phase skips), a
  follow that would stream becomes `follow=0` and seconds over 1 become 1. Invalid values are sent as generated.
- 507 `arena_full` is the API's answer to a full arena (README, docs/openapi.yaml): not_a_server_error counts any
  5xx, so that one, and only with a body that says `arena_full`, is not a failure. Every other 5xx is.
"""
import json

import schemathesis

STREAMING = {"1", "true", ""}


def _streams(value):
    values = value if isinstance(value, list) else [value]
    return any(str(item) in STREAMING for item in values)


def _too_long(value):
    values = value if isinstance(value, list) else [value]
    return any(str(item).isdigit() and int(item) > 1 for item in values)


@schemathesis.hook
def before_call(context, case, kwargs):
    query = case.query
    if not query:
        return
    if "follow" in query and _streams(query["follow"]):
        query["follow"] = "0"
    if "seconds" in query and _too_long(query["seconds"]):
        query["seconds"] = 1


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code != "ST101" or response.status_code != 507:
        return True
    try:
        return json.loads(response.content).get("error") != "arena_full"
    except ValueError:
        return True
