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
        /// Seconds a connection has for a complete request head, from opening or from its previous response;
        /// 0 = no limit (`limits.header_timeout_seconds`).
        var headerTimeoutSeconds: Int
        /// Seconds a request has for its whole body once its head arrived; 0 = no limit
        /// (`limits.body_timeout_seconds`).
        var bodyTimeoutSeconds: Int
        /// Connections one client address may hold at once; 0 = no limit (`MHD_OPTION_PER_IP_CONNECTION_LIMIT`;
        /// `limits.max_connections_per_client`).
        var maxConnectionsPerClient: Int
        /// Seconds `stop()` waits for open connections to finish (each is answered with `Connection: close`)
        /// before it closes the rest (`limits.shutdown_grace_seconds`).
        var shutdownGracePeriodSeconds: Double

        init(_ configuration: Configuration) {
            host = configuration.listen.host
            port = configuration.listen.port
            threads = configuration.threads
            maxConnections = configuration.limits.maxConnections
            connectionTimeoutSeconds = configuration.limits.connectionTimeoutSeconds
            connectionMemoryBytes = configuration.limits.connectionMemoryBytes
            maxBodyBytes = configuration.limits.maxBodyBytes
            headerTimeoutSeconds = configuration.limits.headerTimeoutSeconds
            bodyTimeoutSeconds = configuration.limits.bodyTimeoutSeconds
            maxConnectionsPerClient = configuration.limits.maxConnectionsPerClient
            shutdownGracePeriodSeconds = Double(configuration.limits.shutdownGraceSeconds)
        }
    }
}
