import ArenaCore

/// Writes a metrics exposition by hand: the Prometheus text format 0.0.4 or OpenMetrics 1.0.0 (`# HELP`,
/// `# TYPE`, then samples; callers write the same calls for both).
///
/// ```swift
/// var out = PrometheusText(format: .openMetrics)
/// out.family("arena_resets_total", type: .counter, help: "Arena resets.")   // # TYPE arena_resets counter
/// out.sample("arena_resets_total", labels: [("class", "request")], 3)
/// out.created("arena_resets_total", labels: [("class", "request")], 1764633600.5)  // arena_resets_created{...}
/// out.finish()                                                             // # EOF
/// ```
struct PrometheusText {
    enum MetricType: String { case gauge, counter, histogram, info }

    /// The two expositions `/metrics` speaks.
    enum Format: Sendable {
        /// Prometheus text 0.0.4, what `promtool check metrics` reads.
        case text
        /// OpenMetrics 1.0.0: a counter's family is named without `_total`, an info's without `_info`;
        /// counters and histograms have `_created` samples; the exposition ends with `# EOF`.
        case openMetrics

        var contentType: String {
            switch self {
            case .text: "text/plain; version=0.0.4; charset=utf-8"
            case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
            }
        }
    }

    let format: Format
    private(set) var bytes: [UInt8] = []

    init(format: Format = .text, reservingCapacity capacity: Int = 8192) {
        self.format = format
        bytes.reserveCapacity(capacity)
    }

    /// `# HELP` and `# TYPE` of the family whose samples are named `name` (a counter's with `_total`).
    mutating func family(_ name: String, type: MetricType, help: String) {
        var familyName = name[...]
        var typeName = type.rawValue
        switch (format, type) {
        case (.openMetrics, .counter) where name.hasSuffix("_total"): familyName = familyName.dropLast(6)
        case (.openMetrics, .info) where name.hasSuffix("_info"): familyName = familyName.dropLast(5)
        case (.text, .info): typeName = MetricType.gauge.rawValue  // 0.0.4 has no info type: a gauge of 1
        default: break
        }
        appendLiteral("# HELP ")
        familyName.withUTF8 { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: " "))
        append(help)
        appendLiteral("\n# TYPE ")
        familyName.withUTF8 { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: " "))
        append(typeName)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// OpenMetrics only (text 0.0.4 has no such sample): when the counter `name` (`x_total`) or histogram `name`
    /// with `labels` started from zero, as `x_created`, in seconds since 1970. Write it right after the series'
    /// own samples: OpenMetrics keeps the samples of one label set together.
    mutating func created(_ name: String, labels: @autoclosure () -> [(String, String)], _ seconds: Double) {
        guard format == .openMetrics else { return }
        let base = name.hasSuffix("_total") ? String(name.dropLast(6)) : name
        sample(base + "_created", labels: labels(), seconds)
    }

    /// Seconds since 1970 now, as `_created` samples give them.
    static func secondsNow() -> Double { Double(WallClock.now()) / 1e9 }

    /// Ends the exposition: OpenMetrics requires `# EOF` as its last line.
    mutating func finish() {
        if format == .openMetrics { appendLiteral("# EOF\n") }
    }

    mutating func sample<T: BinaryInteger>(_ name: String, labels: [(String, String)] = [], _ value: T) {
        writeName(name, labels)
        bytes.append(UInt8(ascii: " "))
        appendInteger(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A sample with one label, without building a label array (the common case: `class`).
    mutating func sample<T: BinaryInteger>(_ name: String, label: String, _ labelValue: String, _ value: T) {
        append(name)
        bytes.append(UInt8(ascii: "{"))
        append(label)
        appendLiteral("=\"")
        appendLabelValue(labelValue)
        appendLiteral("\"} ")
        appendInteger(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    private mutating func appendInteger<T: BinaryInteger>(_ value: T) {
        DecimalText.append(value, to: &bytes)
    }

    mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        writeName(name, labels)
        bytes.append(UInt8(ascii: " "))
        append(Self.format(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A histogram's `_bucket` (cumulative), `_sum` and `_count` samples, and in OpenMetrics `_created` when given.
    mutating func histogram(
        _ name: String, labels: [(String, String)], bounds: [String], cumulativeCounts: [UInt64], sum: String,
        count: UInt64, created: Double? = nil
    ) {
        // The bucket name once, and `le` written after the labels in place: a new name and label array per
        // bucket were most of a scrape's allocations (32 buckets a size histogram).
        let bucketName = name + "_bucket"
        for (bound, cumulative) in zip(bounds, cumulativeCounts) {
            writeName(bucketName, labels, le: bound)
            bytes.append(UInt8(ascii: " "))
            appendInteger(cumulative)
            bytes.append(UInt8(ascii: "\n"))
        }
        writeName(bucketName, labels, le: "+Inf")
        bytes.append(UInt8(ascii: " "))
        appendInteger(count)
        bytes.append(UInt8(ascii: "\n"))
        writeName(name + "_sum", labels)
        bytes.append(UInt8(ascii: " "))
        append(sum)
        bytes.append(UInt8(ascii: "\n"))
        sample(name + "_count", labels: labels, count)
        if let created { self.created(name, labels: labels, created) }
    }

    /// The sample name and its labels, then `le` (a histogram bucket's bound) when given.
    private mutating func writeName(_ name: String, _ labels: [(String, String)], le: String? = nil) {
        append(name)
        guard !labels.isEmpty || le != nil else { return }
        bytes.append(UInt8(ascii: "{"))
        for (index, (label, value)) in labels.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(label)
            appendLiteral("=\"")
            appendLabelValue(value)
            bytes.append(UInt8(ascii: "\""))
        }
        if let le {
            if !labels.isEmpty { bytes.append(UInt8(ascii: ",")) }
            appendLiteral("le=\"")
            appendLabelValue(le)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// A label value with `\\`, `"` and newlines escaped, as the format requires.
    private mutating func appendLabelValue(_ value: String) {
        var value = value
        // Scanned and copied as one buffer in the usual case, nothing to escape (the generic `contains` over a
        // String's UTF-8 view cost about 20 instructions a byte).
        let copied = value.withUTF8 { buffer in
            for byte in buffer where byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || byte == 0x0A {
                return false
            }
            bytes.append(contentsOf: buffer)
            return true
        }
        if copied { return }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): appendLiteral(#"\\"#)
            case UInt8(ascii: "\""): appendLiteral(#"\""#)
            case 0x0A: appendLiteral(#"\n"#)
            default: bytes.append(byte)
            }
        }
    }

    /// Text of ours (`# HELP `, `="`): copied from the literal, without a `String` to retain and release.
    private mutating func appendLiteral(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Go-style float text: integers without a fraction, `+Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
