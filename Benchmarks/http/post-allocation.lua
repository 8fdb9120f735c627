-- wrk script for POST /arenas/request/allocations: the body and Content-Type bench.py captured the daemon's
-- response with, so that the daemon parses exactly what its captured answer came from.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"size":16,"align":8}'
