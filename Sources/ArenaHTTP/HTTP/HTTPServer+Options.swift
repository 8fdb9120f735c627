extension HTTPServer {
    /// How the server listens and what it accepts, taken from the configuration (which holds the defaults).
    ///
    /// ```swift
    /// var options = HTTPServer.Options(Configuration())
    /// options.port = 0          // let the kernel choose; read `server.boundPort` after `start()`
    /// ```
    struct Options: Sendable, Equatable {
        /// IPv4 address to bind: dotted quad, or `"localhost"` for 127.0.0.1 (`listen.host`).
        var host: String
        /// TCP port; 0 lets the kernel choose one (`listen.port`).
        var port: UInt16
        /// Worker threads, each with its own epoll set (`MHD_OPTION_THREAD_POOL_SIZE`; `threads`).
        var threads: Int
        /// Simultaneous connections; more are refused at accept (`MHD_OPTION_CONNECTION_LIMIT`;
        /// `limits.max_connections`).
        var maxConnections: Int
        /// Seconds a connection may stay silent before it is closed; 0 = never
        /// (`limits.connection_timeout_seconds`).
        var connectionTimeoutSeconds: Int
        /// Bytes of memory pool per connection, which holds request headers and read/write buffers
        /// (`MHD_OPTION_CONNECTION_MEMORY_LIMIT`; `limits.connection_memory`).
        var connectionMemoryBytes: Int
        /// Largest request body accepted; larger ones are refused and never buffered (`limits.max_body_bytes`).
        var maxBodyBytes: Int
        /// Seconds `stop()` waits for requests in progress before it closes every connection.
        var shutdownGracePeriodSeconds: Double

        init(_ configuration: Configuration) {
            host = configuration.listen.host
            port = configuration.listen.port
            threads = configuration.threads
            maxConnections = configuration.limits.maxConnections
            connectionTimeoutSeconds = configuration.limits.connectionTimeoutSeconds
            connectionMemoryBytes = configuration.limits.connectionMemoryBytes
            maxBodyBytes = configuration.limits.maxBodyBytes
            shutdownGracePeriodSeconds = 5
        }
    }
}
