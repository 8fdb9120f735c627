extension Configuration {
    /// The built-in configuration, byte for byte the text of `config/arena-server.json` (a test checks it), so that
    /// the daemon runs without any file and the file documents what runs. Edit both together.
    public static let builtInJSON = """
        {
          "listen": { "host": "127.0.0.1", "port": 8080, "allowed_hosts": [] },
          "threads": 2,
          "log_requests": true,
          "log_format": "text",
          "limits": {
            "max_arenas": 1024,
            "max_total_bytes": "1GiB",
            "max_arena_bytes": "256MiB",
            "max_classes": 64,
            "max_blobs_per_arena": 4096,
            "max_body_bytes": "1MiB",
            "max_batch": 1024,
            "max_response_bytes": "4MiB",
            "max_concurrent_reads": 4,
            "max_connections": 512,
            "max_connections_per_client": 64,
            "connection_timeout_seconds": 30,
            "header_timeout_seconds": 5,
            "body_timeout_seconds": 10,
            "shutdown_grace_seconds": 2,
            "connection_memory": "64KiB"
          },
          "trace": { "ring_capacity": 4096 },
          "auth": { "token": null, "token_file": null, "protect_reads": false, "allowed_origins": [] },
          "arenas": [
            { "name": "request", "policy": "fixed",   "capacity": "64KiB", "trace": true },
            { "name": "frame",   "policy": "growing", "initial_chunk": "16KiB", "limit": "16MiB", "trace": true },
            { "name": "scratch", "policy": "fixed",   "capacity": "1MiB",  "trace": false }
          ]
        }

        """

    /// What error messages call the built-in configuration.
    static let builtInSourceName = "built-in configuration"
}
