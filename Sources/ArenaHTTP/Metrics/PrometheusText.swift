/// Writes the Prometheus text exposition format 0.0.4 by hand: `# HELP`, `# TYPE`, then samples.
///
/// ```swift
/// var out = PrometheusText()
/// out.family("arena_used_bytes", type: .gauge, help: "Bytes in use.")
/// out.sample("arena_used_bytes", labels: [("class", "request")], 16)
/// ```
struct PrometheusText {
    enum MetricType: String { case gauge, counter, histogram }

    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 8192) {
        bytes.reserveCapacity(capacity)
    }

    mutating func family(_ name: String, type: MetricType, help: String) {
        append("# HELP ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(help)
        append("\n# TYPE ")
        append(name)
        bytes.append(UInt8(ascii: " "))
        append(type.rawValue)
        bytes.append(UInt8(ascii: "\n"))
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
        append("=\"")
        appendLabelValue(labelValue)
        append("\"} ")
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

    /// A histogram's `_bucket` (cumulative), `_sum` and `_count` samples.
    mutating func histogram(
        _ name: String, labels: [(String, String)], bounds: [String], cumulativeCounts: [UInt64], sum: String,
        count: UInt64
    ) {
        for (bound, cumulative) in zip(bounds, cumulativeCounts) {
            sample(name + "_bucket", labels: labels + [("le", bound)], cumulative)
        }
        sample(name + "_bucket", labels: labels + [("le", "+Inf")], count)
        writeName(name + "_sum", labels)
        bytes.append(UInt8(ascii: " "))
        append(sum)
        bytes.append(UInt8(ascii: "\n"))
        sample(name + "_count", labels: labels, count)
    }

    private mutating func writeName(_ name: String, _ labels: [(String, String)]) {
        append(name)
        guard !labels.isEmpty else { return }
        bytes.append(UInt8(ascii: "{"))
        for (index, (label, value)) in labels.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(label)
            append("=\"")
            appendLabelValue(value)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// A label value with `\\`, `"` and newlines escaped, as the format requires.
    private mutating func appendLabelValue(_ value: String) {
        let special = value.utf8.contains { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 0x0A }
        guard special else {
            bytes.append(contentsOf: value.utf8)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append(#"\\"#)
            case UInt8(ascii: "\""): append(#"\""#)
            case 0x0A: append(#"\n"#)
            default: bytes.append(byte)
            }
        }
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
