import Testing

@testable import ArenaHTTP

@Suite struct ByteSizeTests {
    @Test(arguments: [
        (JSONValue.number("0"), 0),
        (.number("1048576"), 1_048_576),
        (.string("17"), 17),
        (.string("17B"), 17),
        (.string("64KiB"), 65_536),
        (.string("1MiB"), 1_048_576),
        (.string("1 MiB"), 1_048_576),
        (.string("3GiB"), 3 << 30),
        (.string("2TiB"), 2 << 40),
        (.string("5KB"), 5_000),
        (.string("5MB"), 5_000_000),
        (.string("5GB"), 5_000_000_000),
        (.string("8191TiB"), 8191 << 40),
    ])
    func acceptsSizes(value: JSONValue, bytes: Int) {
        #expect(ByteSize.parse(value) == .success(bytes))
    }

    @Test(arguments: [
        (JSONValue.number("-1"), "sizes cannot be negative"),
        (.string("-1KiB"), "sizes cannot be negative"),
        (.number("1.5"), "sizes are whole numbers of bytes"),
        (.string("1.5MiB"), "sizes are whole numbers of bytes"),
        (.number("1e3"), "sizes are whole numbers of bytes"),
        (.string("99999999TiB"), "larger than 9223372036854775807 bytes"),
        (.number("99999999999999999999"), "larger than 9223372036854775807 bytes"),
        (.string("lots"), #"got "lots""#),
        (.string(""), #"got """#),
        (.string("MiB"), #"got "MiB""#),
        (.string("12 parsecs"), #"got "12 parsecs""#),
        (.string("1mib"), #"got "1mib""#),
        (.string("+5"), #"got "+5""#),
        (.bool(true), "got true"),
        (.null, "got null"),
    ])
    func refusesBadSizes(value: JSONValue, detail: String) throws {
        guard case .failure(let error) = ByteSize.parse(value) else {
            Issue.record("accepted \(value)")
            return
        }
        #expect(error.reason.hasPrefix(#"expected a size like 1048576 or "1MiB", got "#))
        #expect(error.reason.contains(detail), "\(error.reason)")
    }

    @Test func formatsInLargestExactUnit() {
        #expect(ByteSize.format(65_536) == "64KiB")
        #expect(ByteSize.format(1 << 30) == "1GiB")
        #expect(ByteSize.format(1_000) == "1000B")
        #expect(ByteSize.format(0) == "0B")
    }
}
