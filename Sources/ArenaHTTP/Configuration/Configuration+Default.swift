extension Configuration {
    /// The built-in configuration, byte for byte the text of `config/arena-server.json` (a test checks it), so that
    /// the daemon runs without any file and the file documents what runs. Edit both together.
    public static let builtInJSON = """
        {
          "listen": { "host": "127.0.0.1", "port": 8080 },
          "threads": 2,
          "log_requests": true,
          "limits": {
            "max_arenas": 1024,
            "max_total_bytes": "1GiB",
            "max_arena_bytes": "256MiB",
            "max_body_bytes": "1MiB",
            "max_batch": 1024,
            "max_connections": 512,
            "connection_timeout_seconds": 30,
            "connection_memory": "64KiB"
          },
          "trace": { "ring_capacity": 4096 },
          "auth": { "token": null, "token_file": null, "protect_reads": false },
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
