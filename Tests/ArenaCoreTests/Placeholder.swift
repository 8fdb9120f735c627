import Testing
@testable import ArenaCore
@Test func placeholder() { #expect(ArenaCoreVersion.string == "0.1.0") }
