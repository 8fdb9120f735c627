/// Sizes in configuration: a non-negative JSON integer of bytes, or a string `"N"`, `"NB"`, `"NKiB"`, `"NMiB"`,
/// `"NGiB"`, `"NTiB"` (powers of 1024) or `"NKB"`, `"NMB"`, `"NGB"`, `"NTB"` (powers of 1000), with optional spaces
/// before the unit. Units are case-sensitive; fractions, signs and values above `Int.max` bytes are refused.
///
/// ```swift
/// ByteSize.parse(.string("64KiB"))   // .success(65536)
/// ByteSize.parse(.number("1.5"))     // .failure(... "sizes are whole numbers of bytes")
/// ```
enum ByteSize {
    /// Unit suffixes and their multipliers; longer suffixes first so "KiB" is not read as "B".
    static let units: [(suffix: String, multiplier: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("B", 1),
    ]

    /// The start of every size error message.
    static let expectation = #"expected a size like 1048576 or "1MiB""#

    /// Parses a size from its JSON value; the failure is the text after `<key path>: `.
    static func parse(_ value: JSONValue) -> Result<Int, SizeError> {
        switch value {
        case .number(let literal):
            return parseDigits(literal, unitMultiplier: 1, got: value.summary)
        case .string(let text):
            return parse(text: text, got: value.summary)
        default:
            return .failure(SizeError(got: value.summary, detail: nil))
        }
    }

    /// Parses a size written as text, e.g. an environment variable.
    static func parse(text: String) -> Result<Int, SizeError> {
        parse(text: text, got: JSONWriter.quoted(text))
    }

    private static func parse(text: String, got: String) -> Result<Int, SizeError> {
        var number = Substring(text)
        var multiplier = 1
        for unit in units where number.hasSuffix(unit.suffix) {
            number = number.dropLast(unit.suffix.utf8.count)
            multiplier = unit.multiplier
            break
        }
        while number.last == " " { number = number.dropLast() }
        return parseDigits(String(number), unitMultiplier: multiplier, got: got)
    }

    private static func parseDigits(_ number: String, unitMultiplier: Int, got: String) -> Result<Int, SizeError> {
        if number.hasPrefix("-") {
            return .failure(SizeError(got: got, detail: "sizes cannot be negative"))
        }
        let isDigits = !number.isEmpty && number.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard isDigits else {
            let looksFractional = number.contains(".") || number.contains("e") || number.contains("E")
            let detail = looksFractional && number.first?.isNumber == true ? "sizes are whole numbers of bytes" : nil
            return .failure(SizeError(got: got, detail: detail))
        }
        guard let count = Int(number) else {
            return .failure(SizeError(got: got, detail: "larger than \(Int.max) bytes"))
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: unitMultiplier)
        guard !overflow else {
            return .failure(SizeError(got: got, detail: "larger than \(Int.max) bytes"))
        }
        return .success(bytes)
    }

    /// A size in the largest binary unit that divides it exactly: `65536` -> `"64KiB"`, `1000` -> `"1000B"`.
    static func format(_ bytes: Int) -> String {
        for (suffix, multiplier) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= multiplier && bytes % multiplier == 0 {
            return "\(bytes / multiplier)\(suffix)"
        }
        return "\(bytes)B"
    }

    /// Why a size was refused.
    struct SizeError: Error, Equatable {
        /// The value as written, e.g. `"lots"` (quoted) or `-5`.
        var got: String
        /// Extra explanation, e.g. `sizes cannot be negative`.
        var detail: String?

        /// `expected a size like 1048576 or "1MiB", got "lots"`.
        var reason: String {
            "\(ByteSize.expectation), got \(got)" + (detail.map { " (\($0))" } ?? "")
        }
    }
}
