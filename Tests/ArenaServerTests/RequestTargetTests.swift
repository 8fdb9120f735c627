import Testing

@testable import ArenaHTTP

/// `RequestTarget(parsing:)`: the request target split first, then percent-decoded part by part.
@Suite struct RequestTargetTests {
    func parse(_ target: String) throws(RequestTarget.Problem) -> RequestTarget {
        try RequestTarget(parsing: Array(target.utf8))
    }

    @Test func splitsThePathIntoDecodedSegments() throws {
        let target = try parse("/arenas/fr%61me/events?since=3&format=text")
        #expect(target.path == "/arenas/fr%61me/events", "the path as sent, without the query")
        #expect(target.segments == ["arenas", "frame", "events"])
        #expect(target.query == ["since": "3", "format": "text"])
    }

    @Test(arguments: [
        ("/", [""]), ("/arenas", ["arenas"]), ("/arenas/", ["arenas"]), ("/arenas/request/", ["arenas", "request"]),
        ("/arenas//events", ["arenas", "", "events"]), ("//", [""]),
    ])
    func trailingSlashIsDroppedOtherEmptySegmentsKept(_ example: (target: String, segments: [String])) throws {
        #expect(try parse(example.target).segments == example.segments)
    }

    @Test func encodedSlashStaysInsideItsSegment() throws {
        let target = try parse("/arenas/request%2Fevents")
        #expect(target.segments == ["arenas", "request/events"])
        #expect(try parse("/arenas/a%2fb/reset").segments == ["arenas", "a/b", "reset"])
    }

    @Test func utf8IsDecoded() throws {
        #expect(try parse("/arenas/caf%C3%A9").segments == ["arenas", "café"])
        #expect(try parse("/events?since=caf%C3%A9").query == ["since": "café"])
    }

    @Test(arguments: ["/arenas/victim%00", "/arenas/victim%00/reset", "/%00", "/events?since=%00", "/events?a%00=1"])
    func nulIsRefused(target: String) throws {
        let error = try #require(throws: RequestTarget.Problem.self) { try parse(target) }
        #expect(error.reason.contains("contains a NUL byte (%00)"), "\(error.reason)")
    }

    @Test(arguments: ["/arenas/%FF", "/arenas/%C3", "/arenas/%C3%28", "/events?since=%ED%A0%80", "/%80abc"])
    func invalidUTF8IsRefused(target: String) throws {
        let error = try #require(throws: RequestTarget.Problem.self) { try parse(target) }
        #expect(error.reason.contains("is not valid UTF-8 once percent-decoded"), "\(error.reason)")
    }

    @Test(arguments: ["/arenas/%", "/arenas/%4", "/arenas/%zz", "/arenas/a%g1", "/events?since=%2", "/a%%41"])
    func badPercentEscapeIsRefused(target: String) throws {
        let error = try #require(throws: RequestTarget.Problem.self) { try parse(target) }
        #expect(error.reason.contains("'%' that is not followed by two hex digits"), "\(error.reason)")
    }

    @Test(arguments: ["arenas", "", "*", "?a=1"])
    func targetMustBeAPath(target: String) throws {
        let error = try #require(throws: RequestTarget.Problem.self) { try parse(target) }
        #expect(error.reason == "the request target must be a path starting with '/'")
    }

    @Test func plusIsASpaceInTheQueryOnly() throws {
        let target = try parse("/arenas/a+b?prefix=a+b&c%2Bd=e%2Bf")
        #expect(target.segments == ["arenas", "a+b"])
        #expect(target.query == ["prefix": "a b", "c+d": "e+f"])
    }

    @Test func repeatedQueryNamesLastWins() throws {
        #expect(try parse("/events?since=1&since=2&since=3").query == ["since": "3"])
        #expect(try parse("/events?format=text&since=1&format=json").query == ["format": "json", "since": "1"])
    }

    @Test func queryEdgeCases() throws {
        // A name without `=` maps to "", an encoded `&` or `=` stays in its value, empty pairs are skipped.
        #expect(try parse("/events?follow&since=").query == ["follow": "", "since": ""])
        #expect(try parse("/reset?prefix=a%26b%3Dc").query == ["prefix": "a&b=c"])
        #expect(try parse("/events?&&since=1&").query == ["since": "1"])
        #expect(try parse("/events?since=a=b").query == ["since": "a=b"], "only the first '=' separates")
        #expect(try parse("/events?").query == [:])
        // A '?' only starts the query once; later ones are part of it.
        #expect(try parse("/events?since=a?b").query == ["since": "a?b"])
    }
}
