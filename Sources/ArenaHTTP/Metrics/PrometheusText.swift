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
    /// The float written last (its bits) and its text: OpenMetrics' `_created` samples repeat one timestamp over
    /// many lines in a row (every request counter's, each class's counters), and formatting a `Double` is a
    /// float-to-text conversion each time.
    private var lastFloatBits: UInt64?
    private var lastFloatText = ""

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

    /// Ends the exposition and returns it as a response body in this writer's buffer (no copy).
    consuming func finishedBody() -> ResponseBytes {
        finish()
        return out.takeResponseBytes()
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

    /// `created(_:labels:_:)` with one label rendered before.
    mutating func created(_ name: StaticString, label: Label, _ seconds: Double) {
        guard format == .openMetrics else { return }
        startCreated(name)
        self.label(label)
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
        Self.appendEscaped(value, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// A label rendered before (see `Label`) of the sample started last.
    mutating func label(_ label: Label) {
        out.append(labelsOpen ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        labelsOpen = true
        label.text.withUnsafeBytes { out.append($0) }
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
        if lastFloatBits != value.bitPattern {
            lastFloatText = Self.format(value)
            lastFloatBits = value.bitPattern
        }
        out.append(string: lastFloatText)
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

    /// A sample with one label rendered before, without building a label array (the common case: `class`).
    mutating func sample<T: BinaryInteger>(_ name: StaticString, label: Label, _ value: T) {
        startSample(name)
        self.label(label)
        self.value(value)
    }

    /// A sample with one label rendered before and a float value.
    mutating func sample(_ name: StaticString, label: Label, _ value: Double) {
        startSample(name)
        self.label(label)
        self.value(value)
    }

    mutating func sample(_ name: StaticString, labels: [(StaticString, String)] = [], _ value: Double) {
        startSample(name)
        for (label, labelValue) in labels { self.label(label, labelValue) }
        self.value(value)
    }

    /// A label rendered once for the many lines that carry it: `name="value"`, the value escaped. A class's label is
    /// on some 20 lines of a scrape and a route's on every line of its histogram; escaping the value on each cost
    /// more than the rest of the line.
    struct Label: Sendable {
        fileprivate let text: [UInt8]

        init(_ name: StaticString, _ value: String) {
            var out = OutputBytes(capacity: name.utf8CodeUnitCount + value.utf8.count + 3)
            out.append(name)
            out.append("=\"")
            PrometheusText.appendEscaped(value, to: &out)
            out.append(UInt8(ascii: "\""))
            text = out.takeArray()
        }
    }

    /// A histogram's finite bucket bounds, rendered once: each `le` value followed by the `"} ` that closes its
    /// bucket's labels. A bucket line is then a copy of the line's prefix, a copy of its bound and the count, with
    /// no `String` per bound per scrape.
    struct Bounds: Sendable {
        /// The pieces one after another (`0.1"} 1"} ` for the bounds 0.1 and 1).
        fileprivate let text: [UInt8]
        /// Where each piece ends in `text`; piece `i` starts where piece `i - 1` ends. Invariant: non-decreasing,
        /// the last equals `text.count`.
        fileprivate let ends: [Int]

        /// Bounds as written (numbers: nothing in them is escaped).
        init(labels: [String]) {
            var text: [UInt8] = []
            var ends: [Int] = []
            for label in labels {
                text.append(contentsOf: label.utf8)
                text.append(contentsOf: #""} "#.utf8)
                ends.append(text.count)
            }
            self.text = text
            self.ends = ends
        }

        /// Bounds in Go's float text (see `format`).
        init(_ values: [Double]) { self.init(labels: values.map(PrometheusText.format)) }

        /// Integer bounds.
        init<T: BinaryInteger>(_ values: [T]) { self.init(labels: values.map { String($0) }) }

        /// How many finite bounds (the `+Inf` bucket is not one of them).
        var count: Int { ends.count }
    }

    /// A histogram's `_sum`.
    enum Sum {
        /// A sum of integers (bytes, allocations).
        case integer(UInt64)
        /// A sum of durations kept in nanoseconds, written in seconds exactly (see `DecimalText.appendSeconds`).
        case seconds(nanoseconds: UInt64)
    }

    /// A histogram's `_bucket` (cumulative), `_sum` and `_count` samples, and in OpenMetrics `_created` when given,
    /// with one label or none. Buckets past the shorter of `bounds` and `cumulativeCounts` are not written.
    mutating func histogram(
        _ name: StaticString, label: Label?, bounds: Bounds,
        cumulativeCounts: [UInt64], sum: Sum, count: UInt64, created: Double? = nil
    ) {
        // `name_bucket{label,le="` written once and copied for each bucket: the label is the same on every line.
        let prefixStart = out.count
        startSuffixed(name, "_bucket", label)
        out.append(labelsOpen ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        out.append("le=\"")
        let prefix = prefixStart..<out.count
        labelsOpen = false
        let buckets = Swift.min(bounds.count, cumulativeCounts.count)
        bounds.text.withUnsafeBytes { text in
            var start = 0
            for index in 0..<buckets {
                let end = bounds.ends[index]
                if index > 0 { out.appendAgain(prefix) }
                // Safe: `start..<end` is piece `index` of `text` (the invariant of `ends`).
                out.append(UnsafeRawBufferPointer(rebasing: text[start..<end]))
                DecimalText.append(cumulativeCounts[index], to: &out)
                out.append(UInt8(ascii: "\n"))
                start = end
            }
        }
        if buckets > 0 { out.appendAgain(prefix) }
        out.append("+Inf\"} ")
        DecimalText.append(count, to: &out)
        out.append(UInt8(ascii: "\n"))
        startSuffixed(name, "_sum", label)
        closeLabels()
        switch sum {
        case .integer(let value): DecimalText.append(value, to: &out)
        case .seconds(let nanoseconds): DecimalText.appendSeconds(nanoseconds: nanoseconds, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
        startSuffixed(name, "_count", label)
        value(count)
        if let created, format == .openMetrics {
            startCreated(name)
            if let label { self.label(label) }
            value(created)
        }
    }

    /// Starts the sample `name` + `suffix` with `label`, if any.
    private mutating func startSuffixed(
        _ name: StaticString, _ suffix: StaticString, _ label: Label?
    ) {
        out.append(name)
        out.append(suffix)
        labelsOpen = false
        if let label { self.label(label) }
    }

    /// A label value with `\\`, `"` and newlines escaped, as the format requires.
    fileprivate static func appendEscaped(_ value: String, to out: inout OutputBytes) {
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
