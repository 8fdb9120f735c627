-- wrk script for POST /arenas/request/blobs: 4 KiB, the size bench.py captured with (BLOB_BODY there), so that
-- both servers read the same body before they answer.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.body = string.rep("a", 4096)
