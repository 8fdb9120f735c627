import Logging

/// What the server writes to its log, normally standard error: notices (`listening on ...`, `removed arena 'job-7':
/// idle past its ttl_seconds`, libmicrohttpd's messages) and one line per request, through swift-log.
///
/// By default the logger writes through a `ServerLogHandler`: `LogLine`s in the configured `LogFormat`, one
/// `write(2)` of under PIPE_BUF bytes each, every client-chosen byte escaped. A program that embeds the server
/// may hand it any `Logger` instead; then each request is a record `request` with the metadata `client`, `method`,
/// `path`, `route`, `status`, `bytes` and `duration_us`.
///
/// Levels: requests `info`, or `error` for a 5xx answer; start and stop `notice`; housekeeping (an idle arena
/// removed) `info`; libmicrohttpd's messages `warning`; configuration errors and failures to start `error`.
///
/// ```swift
/// let log = ServerLog(fileDescriptor: 2, format: .json)
/// log.notice("listening on http://127.0.0.1:8080")
/// // {"ts":"2026-12-01T23:10:04.123Z","level":"notice","msg":"listening on http://127.0.0.1:8080"}
/// ```
public struct ServerLog: Sendable {
    /// The label of the server's logger: the text format shows it before every notice (`arena-server: ...`).
    public static let label = "arena-server"

    /// Where records go.
    public let logger: Logger
    /// The logger's handler when it is ours: request lines are then rendered straight into bytes, without a
    /// message string or a metadata dictionary (the request log runs on the worker threads, once per request).
    private let handler: ServerLogHandler?

    /// The server's own handler on `fileDescriptor`, in `format`.
    public init(fileDescriptor: Int32 = 2, format: LogFormat = .text) {
        self.init(
            logger: Logger(label: Self.label) { label in
                ServerLogHandler(label: label, format: format, fileDescriptor: fileDescriptor)
            })
    }

    /// Any swift-log logger.
    public init(logger: Logger) {
        self.logger = logger
        self.handler = logger.handler as? ServerLogHandler
    }

    /// Text on standard error: the log before the configuration says otherwise.
    public static let standardError = ServerLog(fileDescriptor: 2)

    /// A record at `level`.
    public func log(_ level: Logger.Level, _ message: String) {
        logger.log(level: level, Logger.Message(stringLiteral: message))
    }

    /// A `notice`: the server started or is stopping.
    public func notice(_ message: String) { log(.notice, message) }

    /// An `error`: the server cannot start or go on (exit codes 1 and 2).
    public func error(_ message: String) { log(.error, message) }

    /// The level of an exchange's line: `error` when the server answered 5xx, else `info` (a 4xx is the client's
    /// mistake, not the server's).
    static func level(of exchange: HTTPExchange) -> Logger.Level {
        exchange.status.code >= 500 ? .error : .info
    }

    /// The request line of one exchange.
    func request(_ exchange: HTTPExchange) {
        let level = Self.level(of: exchange)
        if let handler {
            handler.logRequest(exchange, level: level)
        } else {
            guard logger.logLevel <= level else { return }
            logger.log(level: level, "request", metadata: Self.metadata(of: exchange))
        }
    }

    /// An exchange as swift-log metadata, for loggers that are not ours.
    static func metadata(of exchange: HTTPExchange) -> Logger.Metadata {
        var client = "-"
        if exchange.clientAddress != 0 || exchange.clientPort != 0 {
            let address = exchange.clientAddress
            client =
                "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
                + ":\(exchange.clientPort)"
        }
        return [
            "client": .string(client),
            "method": .string(exchange.method.rawValue),
            "path": .string(exchange.path),
            "route": .string(exchange.routeLabel),
            "status": .stringConvertible(exchange.status.code),
            "bytes": .stringConvertible(exchange.bodyBytes),
            "duration_us": .stringConvertible(exchange.durationNanoseconds / 1_000),
        ]
    }
}
