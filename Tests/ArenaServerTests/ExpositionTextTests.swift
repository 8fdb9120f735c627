import Foundation
import Testing

@testable import ArenaHTTP

/// The byte writer behind `/metrics` and the exposition text it writes, byte for byte (the live tests parse
/// whole scrapes with promtool and a parser; these pin the exact lines, including the edges of a histogram).
@Suite struct ExpositionTextTests {
    @Test func outputBytesGrowsKeepsEveryByteAndRepeatsARange() {
        var out = OutputBytes(capacity: 1)  // made at least 64: every kind of append below crosses a growth
        var expected: [UInt8] = []
        for round in 0..<200 {
            out.append(UInt8(truncatingIfNeeded: round))
            expected.append(UInt8(truncatingIfNeeded: round))
            out.append("literal-")
            expected += Array("literal-".utf8)
            let text = String(repeating: "é", count: round % 7)
            out.append(string: text)
            expected += Array(text.utf8)
            let number = [UInt8](repeating: UInt8(round % 256), count: round % 130)
            number.withUnsafeBytes { out.append($0) }
            expected += number
            DecimalText.append(-round * 1_000_003, to: &out)
            expected += Array(String(-round * 1_000_003).utf8)
            if round % 5 == 0 {
                let range = (expected.count / 3)..<(expected.count / 2)
                out.appendAgain(range)
                expected += expected[range]
            }
            #expect(out.count == expected.count)
        }
        out.append("", droppingLast: 0)
        out.append("dropped_total", droppingLast: 6)
        expected += Array("dropped".utf8)
        #expect(out.array() == expected)
        #expect(out.takeArray() == expected)
        #expect(OutputBytes(capacity: 16).takeArray() == [])
    }

    /// Integers of every width and sign (the one-digit shortcut and its edges), and JSON member names with and
    /// without their comma, across the buffer's growth.
    @Test func decimalsAndJSONMemberNames() {
        var out = OutputBytes(capacity: 1)
        var expected = ""
        for value in [-10, -9, -1, 0, 1, 9, 10, 11, 99, 100, Int.max, Int.min] {
            DecimalText.append(value, to: &out)
            expected += String(value) + " "
            out.append(UInt8(ascii: " "))
        }
        for value: UInt8 in [0, 9, 10, 255] {
            DecimalText.append(value, to: &out)
            expected += String(value)
        }
        DecimalText.append(UInt64.max, to: &out)
        DecimalText.append(Int8.min, to: &out)
        expected += String(UInt64.max) + String(Int8.min)
        #expect(String(decoding: out.takeArray(), as: UTF8.self) == expected)

        var json = JSONWriter(reservingCapacity: 1)
        var members: [String] = []
        json.object { json in
            for round in 0..<30 {
                json.field("a", round)
                json.key("a_much_longer_member_name_than_most")
                json.array { json in json.integer(round % 10) }
                members.append(#""a":\#(round),"a_much_longer_member_name_than_most":[\#(round % 10)]"#)
            }
        }
        #expect(String(decoding: json.finished(), as: UTF8.self) == "{" + members.joined(separator: ",") + "}")
    }

    @Test func nanosecondsAsExactSeconds() {
        let cases: [(UInt64, String)] = [
            (0, "0"), (1, "0.000000001"), (123, "0.000000123"), (1_000_000, "0.001"), (12_500_000_000, "12.5"),
            (3_000_000_000, "3"), (999_999_999, "0.999999999"), (1_000_000_010, "1.00000001"),
            (UInt64.max, "18446744073.709551615"),
        ]
        for (nanoseconds, text) in cases {
            var out = OutputBytes(capacity: 1)
            DecimalText.appendSeconds(nanoseconds: nanoseconds, to: &out)
            #expect(String(decoding: out.takeArray(), as: UTF8.self) == text, "\(nanoseconds) ns")
        }
    }

    @Test func histogramLinesInBothFormats() {
        func render(_ format: PrometheusText.Format, bounds: [String], counts: [UInt64]) -> String {
            var out = PrometheusText(format: format, reservingCapacity: 8)
            out.family("x_seconds", type: .histogram, help: "Help.")
            out.histogram(
                "x_seconds", label: PrometheusText.Label("route", #"/a"b\c"#),
                bounds: PrometheusText.Bounds(labels: bounds), cumulativeCounts: counts,
                sum: .seconds(nanoseconds: 1_500_000_000), count: 7, created: 12.5)
            return String(decoding: out.finished(), as: UTF8.self)
        }
        #expect(
            render(.text, bounds: ["0.1", "1"], counts: [2, 5]) == """
                # HELP x_seconds Help.
                # TYPE x_seconds histogram
                x_seconds_bucket{route="/a\\"b\\\\c",le="0.1"} 2
                x_seconds_bucket{route="/a\\"b\\\\c",le="1"} 5
                x_seconds_bucket{route="/a\\"b\\\\c",le="+Inf"} 7
                x_seconds_sum{route="/a\\"b\\\\c"} 1.5
                x_seconds_count{route="/a\\"b\\\\c"} 7

                """)
        // No bounds: only +Inf; OpenMetrics adds _created and # EOF.
        #expect(
            render(.openMetrics, bounds: [], counts: []) == """
                # HELP x_seconds Help.
                # TYPE x_seconds histogram
                x_seconds_bucket{route="/a\\"b\\\\c",le="+Inf"} 7
                x_seconds_sum{route="/a\\"b\\\\c"} 1.5
                x_seconds_count{route="/a\\"b\\\\c"} 7
                x_seconds_created{route="/a\\"b\\\\c"} 12.5
                # EOF

                """)
        var unlabelled = PrometheusText(format: .text)
        unlabelled.histogram(
            "y", label: nil, bounds: PrometheusText.Bounds([1]), cumulativeCounts: [1], sum: .integer(0), count: 1)
        #expect(
            String(decoding: unlabelled.bytes, as: UTF8.self)
                == "y_bucket{le=\"1\"} 1\ny_bucket{le=\"+Inf\"} 1\ny_sum 0\ny_count 1\n")
    }

    /// Floats written in a row, repeated and not (the text of the last one is kept for the next): each line has
    /// its own value, NaN and both zeros included (Go writes -0 as 0).
    @Test func floatsInARowKeepTheirOwnText() {
        var out = PrometheusText(format: .text)
        let values: [Double] = [1.5, 1.5, 2.5, .nan, .nan, 0, -0.0, 0, 1764874219.25, 1764874219.25, 1.5]
        for value in values { out.sample("x", value) }
        let expected = values.map { "x " + PrometheusText.format($0) + "\n" }.joined()
        #expect(String(decoding: out.finished(), as: UTF8.self) == expected)
        #expect(expected.contains("x 2.5\nx NaN\nx NaN\nx 0\nx 0\nx 0\nx 1764874219.25\n"), "\(expected)")
    }

    @Test func countersAndInfoInBothFormats() {
        func render(_ format: PrometheusText.Format) -> String {
            var out = PrometheusText(format: format)
            out.family("a_total", type: .counter, help: "A.")
            out.startSample("a_total")
            out.label("route", "/x")
            out.label("code", integer: UInt16(404))
            out.value(UInt64(3))
            out.created("a_total", labels: [("route", "/x")], 2)
            out.family("b_info", type: .info, help: "B.")
            out.sample("b_info", labels: [("v", "1")], 1)
            out.sample("c", -2.5)
            return String(decoding: out.finished(), as: UTF8.self)
        }
        #expect(
            render(.text) == """
                # HELP a_total A.
                # TYPE a_total counter
                a_total{route="/x",code="404"} 3
                # HELP b_info B.
                # TYPE b_info gauge
                b_info{v="1"} 1
                c -2.5

                """)
        #expect(
            render(.openMetrics) == """
                # HELP a A.
                # TYPE a counter
                a_total{route="/x",code="404"} 3
                a_created{route="/x"} 2
                # HELP b B.
                # TYPE b info
                b_info{v="1"} 1
                c -2.5
                # EOF

                """)
    }

    /// The scrape's per-class sums: every class kept apart through the table's growth, sums added, names sorted.
    @Test func classTableSumsPerClassThroughGrowth() {
        var table = ClassTable()
        let names = (0..<300).map { "class-\($0 % 150)-" + String(repeating: "x", count: $0 % 150 % 20) }
        for (index, name) in names.enumerated() {
            var counters = ArenaClassMetrics.ClassTotals()
            counters.allocations = UInt64(index)
            counters.resets = 1
            table.addCounters(counters, to: name)
        }
        let sorted = table.sorted()
        #expect(sorted.names == Set(names).sorted())
        #expect(sorted.totals.count == sorted.names.count)
        for (name, totals) in zip(sorted.names, sorted.totals) {
            let indices = names.indices.filter { names[$0] == name }
            #expect(totals.allocations == UInt64(indices.reduce(0, +)), "\(name)")
            #expect(totals.resets == UInt64(indices.count), "\(name)")
        }
    }

    /// A route's request counts come out in code order, known codes and others merged, and a route with only
    /// known codes needs no sort; in OpenMetrics each count has its `_created` after it.
    @Test func requestCountsInCodeOrderWithCodesOutsideTheKnownList() {
        let metrics = RequestMetrics()
        for status: UInt16 in [503, 418, 200, 202, 200, 418, 418] {
            metrics.record(route: "/healthz", status: status, nanoseconds: 1_000)
        }
        metrics.record(route: "/metrics", status: 404, nanoseconds: 1_000)
        metrics.record(route: "/metrics", status: 200, nanoseconds: 1_000)
        func counts(_ format: PrometheusText.Format) -> [String] {
            var out = PrometheusText(format: format)
            metrics.render(into: &out, openConnections: 0)
            return String(decoding: out.finished(), as: UTF8.self).split(separator: "\n")
                .filter { $0.hasPrefix("http_requests_") }.map { String($0.split(separator: " ")[0]) }
        }
        let expected = [
            #"http_requests_total{route="/healthz",code="200"}"#, #"http_requests_total{route="/healthz",code="202"}"#,
            #"http_requests_total{route="/healthz",code="418"}"#, #"http_requests_total{route="/healthz",code="503"}"#,
            #"http_requests_total{route="/metrics",code="200"}"#, #"http_requests_total{route="/metrics",code="404"}"#,
        ]
        #expect(counts(.text) == expected)
        #expect(
            counts(.openMetrics)
                == expected.flatMap { [$0, $0.replacingOccurrences(of: "_total{", with: "_created{")] })
        var out = PrometheusText(format: .text)
        metrics.render(into: &out, openConnections: 0)
        #expect(
            String(decoding: out.finished(), as: UTF8.self).contains(
                #"http_requests_total{route="/healthz",code="418"} 3"#))
    }

    /// `RequestMetrics.render` writes a route's known codes in this order without sorting them.
    @Test func knownStatusesAreInCodeOrder() {
        #expect(RequestMetrics.knownStatuses == RequestMetrics.knownStatuses.sorted())
        #expect(Set(RequestMetrics.knownStatuses).count == RequestMetrics.knownStatuses.count)
    }
}
