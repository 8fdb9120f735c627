import Foundation
import Testing

@testable import ArenaHTTP

@Suite struct DefaultConfigurationTests {
    @Test func embeddedDefaultIsTheConfigFileByteForByte() throws {
        let url = TestPaths.repositoryRoot.appendingPathComponent("config/arena-server.json")
        let file = try Data(contentsOf: url)
        #expect(Array(file) == Array(Configuration.builtInJSON.utf8))
    }

    @Test func embeddedDefaultParsesToTheDocumentedDefaults() throws {
        let parsed = try Configuration.parse(json: Array(Configuration.builtInJSON.utf8), source: "test")
        #expect(parsed == Configuration())
    }

    @Test func emptyDocumentMeansAllDefaults() throws {
        #expect(try Configuration.parse(json: Array("{}".utf8), source: "test") == Configuration())
    }

    @Test func loadWithoutFileUsesBuiltInDefault() throws {
        #expect(try Configuration.load() == Configuration())
    }

    @Test func defaultsAreTheDocumentedValues() {
        let configuration = Configuration()
        #expect(configuration.listen.host == "127.0.0.1")
        #expect(configuration.listen.port == 8080)
        #expect(configuration.threads == 2)
        #expect(configuration.logRequests)
        #expect(configuration.logFormat == .text)
        #expect(configuration.limits.maxArenas == 1024)
        #expect(configuration.limits.maxTotalBytes == 1 << 30)
        #expect(configuration.limits.maxArenaBytes == 256 << 20)
        #expect(configuration.limits.maxBodyBytes == 1 << 20)
        #expect(configuration.limits.maxBatch == 1024)
        #expect(configuration.limits.maxConnections == 512)
        #expect(configuration.limits.maxConnectionsPerClient == 64)
        #expect(configuration.limits.connectionTimeoutSeconds == 30)
        #expect(configuration.limits.headerTimeoutSeconds == 5)
        #expect(configuration.limits.bodyTimeoutSeconds == 10)
        #expect(configuration.limits.shutdownGraceSeconds == 2)
        #expect(configuration.limits.maxClasses == 64)
        #expect(configuration.limits.maxBlobsPerArena == 4096)
        #expect(configuration.limits.maxResponseBytes == 4 << 20)
        #expect(configuration.limits.maxConcurrentReads == 4)
        #expect(configuration.limits.connectionMemoryBytes == 64 << 10)
        #expect(configuration.trace.ringCapacity == 4096)
        #expect(configuration.listen.allowedHosts == [])
        #expect(
            configuration.auth
                == Configuration.Auth(token: nil, tokenFile: nil, protectReads: false, allowedOrigins: []))
        #expect(configuration.arenas.map(\.name) == ["request", "frame", "scratch"])
        #expect(configuration.arenas.map(\.arenaClass) == ["request", "frame", "scratch"])
        #expect(configuration.arenas[0].policy == .fixed(capacity: 64 << 10))
        #expect(configuration.arenas[1].policy == .growing(initialChunk: 16 << 10, limit: 16 << 20))
        #expect(
            configuration.arenas[2]
                == Configuration.Arena(
                    name: "scratch", policy: .fixed(capacity: 1 << 20),
                    trace: false))
    }
}
