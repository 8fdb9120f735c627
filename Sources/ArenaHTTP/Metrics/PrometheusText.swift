import ArenaCore

/// Writes a metrics exposition by hand: the Prometheus text format 0.0.4 or OpenMetrics 1.0.0 (`# HELP`,
/// `# TYPE`, then samples; callers write the same calls for both). Names, help and label names are literals of
/// ours (`StaticString`: copied without a retain); label values are escaped. It writes into an `OutputBytes`, so
/// it is non-copyable too: pass it `inout`, and take the body with `finished()`.
///
/// ```swift
/// var out = PrometheusText(format: .openMetrics)
/// out.family("arena_resets_total", type: .counter, help: "Arena resets.")   // # TYPE arena_resets counter
/// out.sample("arena_resets_total", labels: [("class", "request")], 3)
/// out.created("arena_resets_total", labels: [("class", "request")], 1764633600.5)  // arena_resets_created{...}
/// out.startSample("http_requests_total")                                  // the same, piece by piece
/// out.label("code", integer: 200)
/// out.value(7)
/// let body = out.finished()                                                // # EOF
/// ```
struct PrometheusText: ~Copyable {
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
    private var out: OutputBytes
    /// Whether the sample being written (`startSample`) has a `{` not yet closed.
    private var labelsOpen = false

    init(format: Format = .text, reservingCapacity capacity: Int = 8192) {
        self.format = format
        out = OutputBytes(capacity: capacity)
    }

    /// What was written so far (a copy).
    var bytes: [UInt8] { out.array() }

    /// Ends the exposition (see `finish`) and returns it.
    consuming func finished() -> [UInt8] {
        finish()
        return out.takeArray()
    }

    /// `# HELP` and `# TYPE` of the family whose samples are named `name` (a counter's with `_total`).
    mutating func family(_ name: StaticString, type: MetricType, help: StaticString) {
        var drop = 0
        var typeName: StaticString
        switch type {
        case .gauge: typeName = "gauge"
        case .counter: typeName = "counter"
        case .histogram: typeName = "histogram"
        case .info: typeName = "info"
        }
        switch (format, type) {
        case (.openMetrics, .counter) where Self.hasSuffix(name, "_total"): drop = 6
        case (.openMetrics, .info) where Self.hasSuffix(name, "_info"): drop = 5
        case (.text, .info): typeName = "gauge"  // 0.0.4 has no info type: a gauge of 1
        default: break
        }
        out.append("# HELP ")
        out.append(name, droppingLast: drop)
        out.append(UInt8(ascii: " "))
        out.append(help)
        out.append("\n# TYPE ")
        out.append(name, droppingLast: drop)
        out.append(UInt8(ascii: " "))
        out.append(typeName)
        out.append(UInt8(ascii: "\n"))
    }

    /// Whether `name` ends with `suffix`.
    private static func hasSuffix(_ name: StaticString, _ suffix: StaticString) -> Bool {
        name.withUTF8Buffer { name in suffix.withUTF8Buffer { name.suffix($0.count).elementsEqual($0) } }
    }

    /// OpenMetrics only (text 0.0.4 has no such sample): when the counter `name` (`x_total`) or histogram `name`
    /// with `labels` started from zero, as `x_created`, in seconds since 1970. Write it right after the series'
    /// own samples: OpenMetrics keeps the samples of one label set together.
    mutating func created(_ name: StaticString, labels: @autoclosure () -> [(StaticString, String)], _ seconds: Double)
    {
        guard format == .openMetrics else { return }
        startCreated(name)
        for (label, value) in labels() { self.label(label, value) }
        value(seconds)
    }

    /// Starts the `_created` sample of the counter or histogram `name` (OpenMetrics only: check `format`), to be
    /// continued with `label` and ended with `value`.
    mutating func startCreated(_ name: StaticString) {
        out.append(name, droppingLast: Self.hasSuffix(name, "_total") ? 6 : 0)
        out.append("_created")
        labelsOpen = false
    }

    /// Seconds since 1970 now, as `_created` samples give them.
    static func secondsNow() -> Double { Double(WallClock.now()) / 1e9 }

    /// Ends the exposition: OpenMetrics requires `# EOF` as its last line.
    mutating func finish() {
        if format == .openMetrics { out.append("# EOF\n") }
    }

    // MARK: Samples, piece by piece: `startSample`, any `label`s, then one `value` ends the line.

    /// Starts a sample line: its name.
    mutating func startSample(_ name: StaticString) {
        out.append(name)
        labelsOpen = false
    }

    /// A label of the sample started last: `{label="value"` or `,label="value"`.
    mutating func label(_ label: StaticString, _ value: String) {
        out.append(labelsOpen ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        labelsOpen = true
        out.append(label)
        out.append("=\"")
        appendLabelValue(value)
        out.append(UInt8(ascii: "\""))
    }

    /// A label whose value is an integer (a status code): digits never need escaping.
    mutating func label<T: BinaryInteger>(_ label: StaticString, integer value: T) {
        out.append(labelsOpen ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        labelsOpen = true
        out.append(label)
        out.append("=\"")
        DecimalText.append(value, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Ends the sample with its value.
    mutating func value<T: BinaryInteger>(_ value: T) {
        closeLabels()
        DecimalText.append(value, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// Ends the sample with its value, as Go formats floats.
    mutating func value(_ value: Double) {
        closeLabels()
        out.append(string: Self.format(value))
        out.append(UInt8(ascii: "\n"))
    }

    /// Ends the sample with a value already formatted.
    private mutating func value(formatted: String) {
        closeLabels()
        out.append(string: formatted)
        out.append(UInt8(ascii: "\n"))
    }

    private mutating func closeLabels() {
        if labelsOpen { out.append("} ") } else { out.append(UInt8(ascii: " ")) }
        labelsOpen = false
    }

    // MARK: Whole samples

    mutating func sample<T: BinaryInteger>(_ name: StaticString, labels: [(StaticString, String)] = [], _ value: T) {
        startSample(name)
        for (label, labelValue) in labels { self.label(label, labelValue) }
        self.value(value)
    }

    /// A sample with one label, without building a label array (the common case: `class`).
    mutating func sample<T: BinaryInteger>(_ name: StaticString, label: StaticString, _ labelValue: String, _ value: T)
    {
        startSample(name)
        self.label(label, labelValue)
        self.value(value)
    }

    mutating func sample(_ name: StaticString, labels: [(StaticString, String)] = [], _ value: Double) {
        startSample(name)
        for (label, labelValue) in labels { self.label(label, labelValue) }
        self.value(value)
    }

    /// A histogram's `_bucket` (cumulative), `_sum` and `_count` samples, and in OpenMetrics `_created` when given.
    /// `bounds` are numbers as text (`le` values, written without escaping).
    mutating func histogram(
        _ name: StaticString, labels: [(StaticString, String)], bounds: [String], cumulativeCounts: [UInt64],
        sum: String,
        count: UInt64, created: Double? = nil
    ) {
        // `name_bucket{labels,le="` written once and copied for each bucket: the labels are the same on every line.
        let prefixStart = out.count
        startSuffixed(name, "_bucket", labels)
        out.append(labelsOpen ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        out.append("le=\"")
        let prefix = prefixStart..<out.count
        labelsOpen = false
        for (index, (bound, cumulative)) in zip(bounds, cumulativeCounts).enumerated() {
            if index > 0 { out.appendAgain(prefix) }
            out.append(string: bound)  // a number: nothing to escape
            out.append("\"} ")
            DecimalText.append(cumulative, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        if bounds.isEmpty || cumulativeCounts.isEmpty {
            out.append("+Inf\"} ")
        } else {
            out.appendAgain(prefix)
            out.append("+Inf\"} ")
        }
        DecimalText.append(count, to: &out)
        out.append(UInt8(ascii: "\n"))
        startSuffixed(name, "_sum", labels)
        value(formatted: sum)
        startSuffixed(name, "_count", labels)
        value(count)
        if let created, format == .openMetrics {
            startCreated(name)
            for (label, labelValue) in labels { self.label(label, labelValue) }
            value(created)
        }
    }

    /// Starts the sample `name` + `suffix` with `labels`.
    private mutating func startSuffixed(
        _ name: StaticString, _ suffix: StaticString, _ labels: [(StaticString, String)]
    ) {
        out.append(name)
        out.append(suffix)
        labelsOpen = false
        for (label, labelValue) in labels { self.label(label, labelValue) }
    }

    /// A label value with `\\`, `"` and newlines escaped, as the format requires.
    private mutating func appendLabelValue(_ value: String) {
        // Scanned and copied as one buffer in the usual case, nothing to escape (the generic `contains` over a
        // String's UTF-8 view cost about 20 instructions a byte).
        var value = value
        let copied = value.withUTF8 { buffer in
            for byte in buffer where byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || byte == 0x0A {
                return false
            }
            out.append(UnsafeRawBufferPointer(buffer))
            return true
        }
        if copied { return }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(#"\\"#)
            case UInt8(ascii: "\""): out.append(#"\""#)
            case 0x0A: out.append(#"\n"#)
            default: out.append(byte)
            }
        }
    }

    /// Go-style float text: integers without a fraction, `+Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }
}
