import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log `LogHandler` that writes `LogLine`s, text or JSON, to a file descriptor: one `write(2)` of under
/// PIPE_BUF bytes a line, so lines from many threads never interleave and no lock is taken; every byte a client
/// or a configuration could choose is escaped (`LogEscaping`).
///
/// The server's own log (`ServerLog`) writes through one; a program can send all of its swift-log loggers to the
/// same place in the same format:
///
/// ```swift
/// LoggingSystem.bootstrap { label in ServerLogHandler(label: label, format: .json) }
/// Logger(label: "worker").notice("started", metadata: ["jobs": "4"])
/// // {"ts":"2026-12-01T23:10:04.123Z","level":"notice","logger":"worker","msg":"started","jobs":"4"}
/// ```
///
/// In text the label precedes the message (`... notice worker: started jobs=4`); in JSON it is the `logger` field,
/// left out for the server's own label (`ServerLog.label`).
public struct ServerLogHandler: LogHandler {
    /// The logger's label.
    public let label: String
    public let format: LogFormat
    /// Where lines go (2, standard error, unless told otherwise). Write errors are ignored: logging must never fail
    /// a request.
    public let fileDescriptor: Int32
    /// Records below this level are not written. Default `.info`.
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(
        label: String, format: LogFormat = .text, fileDescriptor: Int32 = 2,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.format = format
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = LogLine(format: format, level: event.level, at: .now())
        line.appendMessage(event.message.description, label: shownLabel)
        var merged = mergedMetadata(event.metadata)
        if let error = event.error { merged["error"] = .string(String(describing: error)) }
        line.appendMetadata(merged)
        write(line.finished())
    }

    /// The request line of `exchange` at `level` (the fast path `ServerLog` takes: no `Logger.Message`, no metadata
    /// dictionary unless the handler has metadata of its own). Does nothing below `logLevel`.
    func logRequest(_ exchange: HTTPExchange, level: Logger.Level) {
        guard level >= logLevel else { return }
        write(Self.requestLine(exchange, level: level, format: format, at: .now(), metadata: mergedMetadata(nil)))
    }

    /// The bytes `logRequest` writes, for a given instant.
    static func requestLine(
        _ exchange: HTTPExchange, level: Logger.Level, format: LogFormat, at timestamp: UTCTimestamp,
        metadata: Logger.Metadata = [:]
    ) -> [UInt8] {
        var line = LogLine(
            format: format, level: level, at: timestamp,
            capacity: 160 + min(exchange.path.utf8.count, LogLine.maxPathBytes))
        line.appendRequest(exchange)
        line.appendMetadata(metadata)
        return line.finished()
    }

    /// The label a line shows: always in text; in JSON only another logger's than the server's own.
    private var shownLabel: String? {
        format == .text || label != ServerLog.label ? label : nil
    }

    /// The handler's metadata, then its provider's, then the record's: later ones win.
    private func mergedMetadata(_ explicit: Logger.Metadata?) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let explicit, !explicit.isEmpty {
            merged.merge(explicit) { _, new in new }
        }
        return merged
    }

    private func write(_ line: [UInt8]) {
        line.withUnsafeBytes { raw in
            // Safe: write reads raw.count bytes of the line's storage, which is alive during this closure. Errors
            // (a closed stderr) are ignored: logging must not fail a request.
            _ = Glibc.write(fileDescriptor, raw.baseAddress, raw.count)
        }
    }
}
