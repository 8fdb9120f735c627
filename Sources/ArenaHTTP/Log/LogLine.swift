import Logging

/// One line of the server's log in either `LogFormat`, built in one byte buffer for one `write(2)`.
///
/// Text: the timestamp, the level, then a notice (`label: message`) or a request (client, method, path, status,
/// body bytes, microseconds), then any metadata as `key=value`:
/// ```
/// 2026-12-01T23:10:04.123Z notice arena-server: listening on http://127.0.0.1:8080
/// 2026-12-01T23:10:04.125Z info 127.0.0.1:51234 GET /healthz 200 3 41us
/// ```
/// JSON: one object with `ts`, `level` and `msg` first, then a request's fields, then metadata:
/// ```
/// {"ts":"2026-12-01T23:10:04.123Z","level":"notice","msg":"listening on http://127.0.0.1:8080"}
/// {"ts":"2026-12-01T23:10:04.125Z","level":"info","msg":"request","client":"127.0.0.1:51234","method":"GET",
///  "path":"/healthz","route":"/healthz","status":200,"bytes":3,"duration_us":41}
/// ```
///
/// Every line is at most PIPE_BUF (4096) bytes, so one `write(2)` of it is never interleaved with another's, and
/// no lock is needed: each text has an input limit (`maxPathBytes`, ...) and grows by at most `LogEscaping.maxGrowth`
/// when escaped, which keeps a request or a notice below it; metadata that would not fit is left out and counted
/// (`metadata_dropped`).
struct LogLine {
    /// PIPE_BUF on Linux.
    static let maxBytes = 4096
    /// Inputs longer than these are cut with `...`.
    static let maxMessageBytes = 512
    static let maxPathBytes = 512
    static let maxMethodBytes = 32
    static let maxLabelBytes = 64
    static let maxMetadataKeyBytes = 64
    static let maxMetadataValueBytes = 256

    /// The keys a JSON line writes itself; metadata under one of these is renamed `metadata.<key>`, so that a
    /// value cannot pass for the line's own.
    static let reservedKeys: Set<String> = [
        "ts", "level", "msg", "logger", "client", "method", "path", "route", "status", "bytes", "duration_us",
        "metadata_dropped",
    ]

    let format: LogFormat
    private(set) var bytes: [UInt8] = []

    /// Starts a line: the timestamp and the level.
    init(format: LogFormat, level: Logger.Level, at timestamp: UTCTimestamp, capacity: Int = 192) {
        self.format = format
        bytes.reserveCapacity(capacity)
        switch format {
        case .text:
            timestamp.append(to: &bytes)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: level.rawValue.utf8)
        case .json:
            bytes.append(contentsOf: #"{"ts":""#.utf8)
            timestamp.append(to: &bytes)
            bytes.append(contentsOf: #"","level":""#.utf8)
            bytes.append(contentsOf: level.rawValue.utf8)
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// A notice. `label` (the logger's) shows in text as `label: `; in JSON as `logger` unless it is nil.
    mutating func appendMessage(_ message: String, label: String?) {
        switch format {
        case .text:
            bytes.append(UInt8(ascii: " "))
            if let label {
                LogEscaping.appendText(label, limit: Self.maxLabelBytes, as: .field, to: &bytes)
                bytes.append(contentsOf: ": ".utf8)
            }
            LogEscaping.appendText(message, limit: Self.maxMessageBytes, as: .message, to: &bytes)
        case .json:
            if let label { appendJSONMember("logger", string: label, limit: Self.maxLabelBytes) }
            appendJSONMember("msg", string: message, limit: Self.maxMessageBytes)
        }
    }

    /// One exchange: `CLIENT METHOD PATH STATUS BYTES DURATIONus` (client `-` when unknown), or the JSON fields
    /// `msg` ("request"), `client` (null when unknown), `method`, `path`, `route`, `status`, `bytes`, `duration_us`.
    mutating func appendRequest(_ exchange: HTTPExchange) {
        let microseconds = exchange.durationNanoseconds / 1_000
        switch format {
        case .text:
            bytes.append(UInt8(ascii: " "))
            appendClient(exchange, unknown: "-")
            bytes.append(UInt8(ascii: " "))
            LogEscaping.appendText(exchange.method.rawValue, limit: Self.maxMethodBytes, as: .field, to: &bytes)
            bytes.append(UInt8(ascii: " "))
            LogEscaping.appendText(exchange.path, limit: Self.maxPathBytes, as: .field, to: &bytes)
            bytes.append(UInt8(ascii: " "))
            DecimalText.append(UInt64(exchange.status.code), to: &bytes)
            bytes.append(UInt8(ascii: " "))
            DecimalText.append(UInt64(exchange.bodyBytes), to: &bytes)
            bytes.append(UInt8(ascii: " "))
            DecimalText.append(microseconds, to: &bytes)
            bytes.append(contentsOf: "us".utf8)
        case .json:
            bytes.append(contentsOf: #","msg":"request","client":"#.utf8)
            if exchange.clientAddress == 0 && exchange.clientPort == 0 {
                bytes.append(contentsOf: "null".utf8)
            } else {
                bytes.append(UInt8(ascii: "\""))
                appendClient(exchange, unknown: "")
                bytes.append(UInt8(ascii: "\""))
            }
            appendJSONMember("method", string: exchange.method.rawValue, limit: Self.maxMethodBytes)
            appendJSONMember("path", string: exchange.path, limit: Self.maxPathBytes)
            appendJSONMember("route", string: exchange.routeLabel, limit: Self.maxLabelBytes)
            appendJSONMember("status", number: UInt64(exchange.status.code))
            appendJSONMember("bytes", number: UInt64(exchange.bodyBytes))
            appendJSONMember("duration_us", number: microseconds)
        }
    }

    /// Metadata, keys sorted: ` key=value` each in text, `"key":value` members in JSON (integers and booleans as
    /// JSON numbers and booleans, nested lists and dictionaries as arrays and objects). If it would make the line
    /// longer than `maxBytes`, it is left out and `metadata_dropped=N` says how many entries.
    mutating func appendMetadata(_ metadata: Logger.Metadata) {
        guard !metadata.isEmpty else { return }
        let start = bytes.count
        for key in metadata.keys.sorted() {
            // Safe to force: the key was just read from the dictionary.
            let value = metadata[key]!
            switch format {
            case .text:
                bytes.append(UInt8(ascii: " "))
                LogEscaping.appendText(key, limit: Self.maxMetadataKeyBytes, as: .field, to: &bytes)
                bytes.append(UInt8(ascii: "="))
                appendText(value)
            case .json:
                bytes.append(contentsOf: ",\"".utf8)
                if Self.reservedKeys.contains(key) { bytes.append(contentsOf: "metadata.".utf8) }
                LogEscaping.appendJSON(key, limit: Self.maxMetadataKeyBytes, to: &bytes)
                bytes.append(contentsOf: "\":".utf8)
                appendJSON(value)
            }
            // "}\n" must still fit, and the drop notice may replace what was written.
            if bytes.count > Self.maxBytes - 2 {
                bytes.removeSubrange(start...)
                switch format {
                case .text: bytes.append(contentsOf: " metadata_dropped=".utf8)
                case .json: bytes.append(contentsOf: #","metadata_dropped":"#.utf8)
                }
                DecimalText.append(metadata.count, to: &bytes)
                return
            }
        }
    }

    /// The line, closed and ended with a newline.
    consuming func finished() -> [UInt8] {
        if format == .json { bytes.append(UInt8(ascii: "}")) }
        bytes.append(UInt8(ascii: "\n"))
        assert(bytes.count <= Self.maxBytes, "a log line of \(bytes.count) bytes")
        return bytes
    }

    // MARK: - Pieces

    /// `a.b.c.d:port`, or `unknown`.
    private mutating func appendClient(_ exchange: HTTPExchange, unknown: String) {
        guard exchange.clientAddress != 0 || exchange.clientPort != 0 else {
            bytes.append(contentsOf: unknown.utf8)
            return
        }
        for shift in stride(from: UInt32(24), through: 0, by: -8) {
            DecimalText.append(exchange.clientAddress >> shift & 0xFF, to: &bytes)
            bytes.append(shift == 0 ? UInt8(ascii: ":") : UInt8(ascii: "."))
        }
        DecimalText.append(exchange.clientPort, to: &bytes)
    }

    private mutating func appendJSONMember(_ key: StaticString, string: String, limit: Int) {
        appendJSONKey(key)
        bytes.append(UInt8(ascii: "\""))
        LogEscaping.appendJSON(string, limit: limit, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendJSONMember(_ key: StaticString, number: UInt64) {
        appendJSONKey(key)
        DecimalText.append(number, to: &bytes)
    }

    /// `,"key":` for one of the line's own keys (plain ASCII, nothing to escape).
    private mutating func appendJSONKey(_ key: StaticString) {
        bytes.append(contentsOf: ",\"".utf8)
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\":".utf8)
    }

    private mutating func appendText(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let text):
            LogEscaping.appendText(text, limit: Self.maxMetadataValueBytes, as: .field, to: &bytes)
        case .stringConvertible(let convertible):
            LogEscaping.appendText(convertible.description, limit: Self.maxMetadataValueBytes, as: .field, to: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendText(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                LogEscaping.appendText(key, limit: Self.maxMetadataKeyBytes, as: .field, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                // Safe to force: the key was just read from the dictionary.
                appendText(dictionary[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func appendJSON(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let text):
            appendJSONString(text, limit: Self.maxMetadataValueBytes)
        case .stringConvertible(let convertible):
            if let integer = convertible as? any BinaryInteger {
                DecimalText.append(integer, to: &bytes)
            } else if let flag = convertible as? Bool {
                bytes.append(contentsOf: (flag ? "true" : "false").utf8)
            } else {
                appendJSONString(convertible.description, limit: Self.maxMetadataValueBytes)
            }
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendJSON(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendJSONString(key, limit: Self.maxMetadataKeyBytes)
                bytes.append(UInt8(ascii: ":"))
                // Safe to force: the key was just read from the dictionary.
                appendJSON(dictionary[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func appendJSONString(_ text: String, limit: Int) {
        bytes.append(UInt8(ascii: "\""))
        LogEscaping.appendJSON(text, limit: limit, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }
}
