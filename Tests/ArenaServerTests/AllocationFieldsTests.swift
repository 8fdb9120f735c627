import Testing

@testable import ArenaHTTP

/// `AllocationFields.canonical`, the allocation route's shortcut past the JSON tree, against `RequestBody`, the
/// reader of every other body: whatever the shortcut accepts, `RequestBody` reads to the same fields.
@Suite struct AllocationFieldsTests {
    private static func request(_ body: String) -> HTTPRequest {
        HTTPRequest(
            method: .post,
            target: RequestTarget(path: "/arenas/a/allocations", segments: ["arenas", "a", "allocations"]),
            headers: ["Content-Type": "application/json"], body: Array(body.utf8))
    }

    /// The shapes the shortcut is for: taken, with the values written.
    @Test func theUsualBodiesTakeTheShortcut() throws {
        let cases: [(String, Int, Int)] = [
            (#"{"size":16}"#, 16, 8), (#"{"size":16,"align":8}"#, 16, 8), (#"{"size":0}"#, 0, 8),
            (#"{"size":123456789012345678,"align":4096}"#, 123_456_789_012_345_678, 4096),
            (#"{"size":1,"align":3}"#, 1, 3),
        ]
        for (body, size, alignment) in cases {
            let fields = try #require(AllocationFields.canonical(Array(body.utf8)), "\(body) not recognized")
            #expect(fields.size == size && fields.alignment == alignment && fields.sizes == nil && fields.site == nil)
            #expect(try AllocationFields.parsed(Self.request(body)) == fields, "\(body)")
        }
    }

    /// Near misses go the long way, where they are read (spaces, order) or refused (leading zeros, 19 digits,
    /// signs, fractions, duplicates, extra fields, trailing bytes) as before.
    @Test func nearMissesGoThroughRequestBody() {
        let bodies = [
            #"{"size": 16}"#, #" {"size":16}"#, #"{"size":16} "#, #"{"align":8,"size":16}"#, #"{"size":016}"#,
            #"{"size":1234567890123456789}"#, #"{"size":-1}"#, #"{"size":1.0}"#, #"{"size":1e3}"#,
            #"{"size":16,"size":16}"#, #"{"size":16,"align":8,"site":"x"}"#, #"{"size":16,"align":}"#,
            #"{"size":16,"align":8}x"#, #"{"size":}"#, #"{"size":16"#, #"{"Size":16}"#, #"{"size":"16"}"#,
            #"{"size":16,"align":08}"#, "", "{}",
        ]
        for body in bodies {
            #expect(AllocationFields.canonical(Array(body.utf8)) == nil, "\(body) took the shortcut")
        }
    }

    /// Every body of a grammar of allocation bodies (`size` and `align` each absent or any of ten numbers in
    /// valid and invalid JSON forms, a third field or a repeated one, either order, three kinds of spacing, a
    /// stray byte or none): each one the shortcut accepts, `RequestBody` reads to the same fields; and the
    /// shortcut accepts the canonical share of them (else this proves nothing).
    @Test func theShortcutAgreesWithRequestBodyOnEveryGrammarBody() throws {
        let numbers = [
            nil, "0", "7", "16", "4096", "016", "-1", "1.0", "1e3", "123456789012345678", "1234567890123456789",
        ]
        let extras = [nil, #""sizes":[1,2]"#, #""site":"s""#, "repeat"]
        var bodies = 0
        var taken = 0
        for size in numbers {
            for align in numbers {
                for extra in extras {
                    for reversed in [false, true] {
                        for space in ["", " ", "\n"] {
                            for tail in ["", "x"] {
                                var members = [size.map { #""size":"# + $0 }, align.map { #""align":"# + $0 }]
                                    .compactMap { $0 }
                                if reversed { members.reverse() }
                                if let extra { members.append(extra == "repeat" ? members.first ?? "" : extra) }
                                let body = "{" + space + members.joined(separator: "," + space) + "}" + tail
                                bodies += 1
                                guard let fields = AllocationFields.canonical(Array(body.utf8)) else { continue }
                                taken += 1
                                #expect(try AllocationFields.parsed(Self.request(body)) == fields, "\(body)")
                            }
                        }
                    }
                }
            }
        }
        // Canonical: size one of the 5 good numbers, align absent or good (6), no extra, size first, no space,
        // no tail; with align absent the order does not matter (one member).
        #expect(bodies == 11 * 11 * 4 * 2 * 3 * 2)
        #expect(taken == 5 * 5 + 5 * 2, "\(taken) of \(bodies) bodies took the shortcut")
    }

    /// `RequestBody.isJSON`, which every JSON request passes: the media type before `;`, trimmed, in any case.
    @Test func whichContentTypesAreJSON() {
        let cases: [(String, Bool)] = [
            ("application/json", true), ("APPLICATION/JSON", true), ("applicatioN/jsoN", true),
            (" application/json ; charset=utf-8", true), ("\tapplication/json\t", true), ("application/x+json", true),
            ("application/merge-patch+JSON", true), ("+json", true), ("application/jsonp", false),
            ("text/json", false), ("xapplication/json", false), ("application\u{0F}json", false),
            ("application/json5", false), ("json", false), ("", false), ("; application/json", false),
            ("application/jso", false), ("application/json;", true),
        ]
        for (contentType, json) in cases {
            #expect(RequestBody.isJSON(ArraySlice(contentType.utf8)) == json, "\(contentType)")
        }
    }

    /// Both ways refuse a body without a JSON Content-Type with 415, before looking at the body.
    @Test func contentTypeComesFirst() {
        var request = Self.request(#"{"size":16}"#)
        request.headers = ["Content-Type": "text/plain"]
        #expect(throws: APIError.self) { try AllocationFields(request) }
        do {
            _ = try AllocationFields(request)
        } catch {
            #expect(error.status == .unsupportedMediaType)
        }
    }
}
