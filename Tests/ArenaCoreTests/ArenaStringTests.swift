import ArenaCore
import Testing

/// `copy(_:)` of a `String` and the `ArenaString` it returns: read in place, compared as strings, valid while
/// the arena keeps the bytes.
@Suite struct ArenaStringTests {
    @Test(arguments: ArenaKind.allCases)
    func theViewReadsTheBytesTheArenaHoldsWithoutASecondCopy(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 256))
        let before = try arena.allocate(byteCount: 5, alignment: 1)
        let name = try arena.copy("héllo")
        let address = name.withUTF8 { span in span.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) } }
        #expect(address == UInt(bitPattern: before) + 5, "the span is the arena's memory, right after `before`")
        #expect(name.withUTF8 { $0.count } == 6 && name.withUTF8 { $0[1] } == 0xC3)
        #expect(arena.stats.used == 11 && arena.stats.allocations == 2)
        // Reading it makes no allocation in the arena either.
        #expect(name.description == "héllo" && name == "héllo" && arena.stats.allocations == 2)
    }

    @Test(arguments: ArenaKind.allCases)
    func utf8SpanGivesScalarsAndKnowsASCII(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 256))
        let text = try arena.copy("é🚀!")
        let scalars = text.withUTF8Span { span in
            var iterator = span.makeUnicodeScalarIterator()
            var scalars: [Unicode.Scalar] = []
            while let scalar = iterator.next() { scalars.append(scalar) }
            return scalars
        }
        #expect(scalars == ["é", "🚀", "!"])
        #expect(text.withUTF8Span { $0.count } == 7 && !text.withUTF8Span { $0.isKnownASCII })
        #expect(try arena.copy("plain").withUTF8Span { $0.isKnownASCII })
    }

    @Test(arguments: [
        ("frame-7", "frame-7", true), ("frame-7", "frame-8", false), ("frame-7", "frame-", false),
        ("", "", true), ("", "x", false), ("café", "cafe\u{301}", true), ("cafe\u{301}", "café", true),
        ("日本", "日本", true), ("日本", "日木", false), ("a\u{0}b", "a\u{0}b", true), ("a\u{0}b", "a", false),
    ])
    func equalityIsStringEquality(left: String, right: String, equal: Bool) throws {
        #expect((left == right) == equal, "the table must agree with String's ==")
        for kind in ArenaKind.allCases {
            let arena = kind.make(.fixed(capacity: 256))
            let copied = try arena.copy(left)
            #expect((copied == right) == equal && (right == copied) == equal)
            #expect((copied != right) == !equal && (right != copied) == !equal)
            #expect((copied == (try arena.copy(right))) == equal)
        }
    }

    @Test func descriptionsAreTheTextAndItsDebugForm() throws {
        let arena = LocalArena(policy: .fixed(capacity: 64))
        let quoted = try arena.copy("say \"hi\"\n")
        #expect(quoted.description == "say \"hi\"\n" && "\(quoted)" == "say \"hi\"\n")
        #expect(quoted.debugDescription == #""say \"hi\"\n""#)
        let empty = try arena.copy("")
        #expect(String(describing: empty) == "" && empty.isEmpty && empty.utf8Count == 0)
    }

    @Test func aSharedArenasStringsCrossTasks() async throws {
        let arena = BumpArena(policy: .fixed(capacity: 256))
        let name = try arena.copy("request-42")
        let seen = await Task.detached { name.description }.value
        #expect(seen == "request-42" && name == seen)
    }

    @Test(arguments: ArenaKind.allCases)
    func theStringStaysValidAcrossLaterAllocationsAndScopesThatDoNotReachIt(kind: ArenaKind) throws {
        let arena = kind.make(.growing(initialChunk: 64, limit: 4096))
        let kept = try arena.copy("kept across chunks")
        arena.withCheckpoint {
            _ = try? arena.allocate(byteCount: 1000, alignment: 8)  // a new chunk
            _ = try? arena.copy("scratch")
        }
        _ = try arena.allocate(byteCount: 500, alignment: 64)
        #expect(kept == "kept across chunks" && arena.stats.chunks > 1)
    }
}
