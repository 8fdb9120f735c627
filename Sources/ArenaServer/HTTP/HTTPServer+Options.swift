extension HTTPServer {
    /// How the server listens and what it accepts. Defaults match the built-in configuration.
    ///
    /// ```swift
    /// var options = HTTPServer.Options()
    /// options.port = 0          // let the kernel choose; read `server.boundPort` after `start()`
    /// options.logRequests = false
    /// ```
    struct Options: Sendable, Equatable {
        /// IPv4 address to bind: dotted quad, or `"localhost"` for 127.0.0.1. Default `"127.0.0.1"`.
        var host: String = "127.0.0.1"
        /// TCP port; 0 lets the kernel choose one. Default 8080.
        var port: UInt16 = 8080
        /// Worker threads, each with its own epoll set (`MHD_OPTION_THREAD_POOL_SIZE`). Default 2.
        var threads: Int = 2
        /// Simultaneous connections; more are refused at accept (`MHD_OPTION_CONNECTION_LIMIT`). Default 512.
        var maxConnections: Int = 512
        /// Seconds a connection may stay idle before it is closed; 0 = never. Default 30.
        var connectionTimeoutSeconds: Int = 30
        /// Bytes of memory pool per connection, which holds request headers and read/write buffers
        /// (`MHD_OPTION_CONNECTION_MEMORY_LIMIT`). Default 64 KiB.
        var connectionMemoryBytes: Int = 64 * 1024
        /// Largest request body accepted; larger ones get 413 and are never buffered. Default 1 MiB.
        var maxBodyBytes: Int = 1 << 20
        /// Write one line per request (method, path, status, body bytes, microseconds) to `logFileDescriptor`.
        /// Default true.
        var logRequests: Bool = true
        /// Where request log lines go. Default standard error.
        var logFileDescriptor: Int32 = 2
        /// Seconds `stop()` waits for requests in progress before it closes every connection. Default 5.
        var shutdownGracePeriodSeconds: Double = 5

        init() {}
    }
}
