import Testing

@testable import ArenaHTTP

/// One configuration document that must be refused, and what the message must say.
struct RejectedConfiguration: Sendable, CustomTestStringConvertible {
    var json: String
    var keyPath: String
    var reasonContains: String

    var testDescription: String { "\(keyPath): \(json)" }
}

@Suite struct ConfigurationParsingTests {
    private func parse(_ json: String) throws(ConfigurationError) -> Configuration {
        try Configuration.parse(json: Array(json.utf8), source: "test.json")
    }

    @Test func readsEveryKey() throws {
        let configuration = try parse(
            """
            {
              "listen": { "host": "localhost", "port": 0, "allowed_hosts": ["arena.internal"] },
              "threads": 4,
              "log_requests": false,
              "log_format": "json",
              "limits": {
                "max_arenas": 8, "max_total_bytes": "64MiB", "max_arena_bytes": "32MiB", "max_classes": 5,
                "max_blobs_per_arena": 7, "max_body_bytes": 4096, "max_batch": 16, "max_response_bytes": "8KiB",
                "max_concurrent_reads": 3, "max_connections": 64, "max_connections_per_client": 9,
                "connection_timeout_seconds": 0, "header_timeout_seconds": 11, "body_timeout_seconds": 12,
                "shutdown_grace_seconds": 13, "connection_memory": "8KiB"
              },
              "trace": { "ring_capacity": 1024, "keep_generations": 3 },
              "auth": { "token": "s3cret", "token_file": null, "protect_reads": true,
                        "allowed_origins": ["https://ops.example.com"] },
              "arenas": [
                { "name": "a.b_c-1", "class": "tiny", "policy": "fixed", "capacity": "1KiB", "trace": false },
                { "name": "g", "policy": "growing", "limit": "8KiB" },
                { "name": "h", "policy": "growing", "initial_chunk": "1MB", "limit": "2MB" }
              ]
            }
            """)
        #expect(configuration.listen.host == "localhost")
        #expect(configuration.listen.port == 0)
        #expect(configuration.threads == 4)
        #expect(!configuration.logRequests)
        #expect(configuration.logFormat == .json)
        #expect(
            configuration.limits
                == Configuration.Limits(
                    maxArenas: 8, maxTotalBytes: 64 << 20, maxArenaBytes: 32 << 20, maxClasses: 5, maxBlobsPerArena: 7,
                    maxBodyBytes: 4096, maxBatch: 16, maxResponseBytes: 8 << 10, maxConcurrentReads: 3,
                    maxConnections: 64, maxConnectionsPerClient: 9, connectionTimeoutSeconds: 0,
                    headerTimeoutSeconds: 11, bodyTimeoutSeconds: 12, shutdownGraceSeconds: 13,
                    connectionMemoryBytes: 8 << 10))
        #expect(configuration.listen.allowedHosts == ["arena.internal"])
        #expect(configuration.trace.ringCapacity == 1024)
        #expect(configuration.trace.keepGenerations == 3)
        #expect(
            configuration.auth
                == Configuration.Auth(
                    token: "s3cret", tokenFile: nil, protectReads: true, allowedOrigins: ["https://ops.example.com"]))
        #expect(
            configuration.arenas == [
                Configuration.Arena(name: "a.b_c-1", arenaClass: "tiny", policy: .fixed(capacity: 1024), trace: false),
                // initial_chunk defaults to min(16KiB, limit).
                Configuration.Arena(name: "g", policy: .growing(initialChunk: 8192, limit: 8192)),
                Configuration.Arena(name: "h", policy: .growing(initialChunk: 1_000_000, limit: 2_000_000)),
            ])
    }

    @Test func missingKeysKeepDefaults() throws {
        let configuration = try parse(#"{ "limits": { "max_body_bytes": "2MiB" }, "listen": { "port": 9 } }"#)
        var expected = Configuration()
        expected.limits.maxBodyBytes = 2 << 20
        expected.listen.port = 9
        #expect(configuration == expected)
    }

    @Test func policyDefaultsToFixed() throws {
        #expect(
            try parse(#"{"arenas": [{"name": "a", "capacity": "1KiB"}]}"#).arenas
                == [Configuration.Arena(name: "a", policy: .fixed(capacity: 1024))])
    }

    @Test func emptyArenaListIsAllowed() throws {
        #expect(try parse(#"{ "arenas": [] }"#).arenas.isEmpty)
    }

    static let rejected: [RejectedConfiguration] = [
        // Syntax and shape.
        .init(json: "{", keyPath: "test.json", reasonContains: "invalid JSON: line 1, column 2"),
        .init(json: "{\n  \"threads\": 2,\n}", keyPath: "test.json", reasonContains: "line 3, column 1"),
        .init(json: "[]", keyPath: "configuration", reasonContains: "expected an object, got an array"),
        .init(json: #"{"threads": 2, "threads": 3}"#, keyPath: "threads", reasonContains: "more than once"),
        // Unknown keys at every level.
        .init(json: #"{"thread": 2}"#, keyPath: "thread", reasonContains: "unknown key"),
        // Keys that are not plain names are quoted, so no path is empty or ambiguous (found by `make fuzz`).
        .init(json: #"{"": {"keep": 10}}"#, keyPath: #"[""]"#, reasonContains: "unknown key"),
        .init(
            json: #"{"limits": {"max.arenas": 1}}"#, keyPath: #"limits["max.arenas"]"#, reasonContains: "unknown key"),
        .init(json: #"{"listen": {"a\nb": 1}}"#, keyPath: #"listen["a\nb"]"#, reasonContains: "unknown key"),
        .init(json: #"{"listen": {"hots": "x"}}"#, keyPath: "listen.hots", reasonContains: "unknown key"),
        .init(json: #"{"limits": {"max_body": 1}}"#, keyPath: "limits.max_body", reasonContains: "unknown key"),
        .init(json: #"{"trace": {"ring": 1}}"#, keyPath: "trace.ring", reasonContains: "unknown key"),
        .init(json: #"{"auth": {"secret": "x"}}"#, keyPath: "auth.secret", reasonContains: "unknown key"),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "fixed", "capacity": 1, "colour": "red"}]}"#,
            keyPath: "arenas[0].colour", reasonContains: "unknown key"),
        // Wrong types.
        .init(json: #"{"listen": "127.0.0.1:80"}"#, keyPath: "listen", reasonContains: "expected an object"),
        .init(json: #"{"listen": {"port": "80"}}"#, keyPath: "listen.port", reasonContains: #"got "80""#),
        .init(json: #"{"listen": {"host": 127}}"#, keyPath: "listen.host", reasonContains: "expected a string"),
        .init(json: #"{"threads": 2.5}"#, keyPath: "threads", reasonContains: "expected an integer"),
        .init(json: #"{"log_requests": "yes"}"#, keyPath: "log_requests", reasonContains: "expected true or false"),
        .init(json: #"{"log_format": 1}"#, keyPath: "log_format", reasonContains: "expected a string"),
        .init(
            json: #"{"log_format": "JSON"}"#, keyPath: "log_format",
            reasonContains: #"expected "text" or "json", got "JSON""#),
        .init(json: #"{"log_format": ""}"#, keyPath: "log_format", reasonContains: #"got """#),
        .init(json: #"{"arenas": {}}"#, keyPath: "arenas", reasonContains: "expected an array"),
        .init(json: #"{"arenas": [1]}"#, keyPath: "arenas[0]", reasonContains: "expected an object"),
        // Sizes.
        .init(
            json: #"{"limits": {"max_body_bytes": "lots"}}"#, keyPath: "limits.max_body_bytes",
            reasonContains: #"expected a size like 1048576 or "1MiB", got "lots""#),
        .init(
            json: #"{"limits": {"max_body_bytes": -1}}"#, keyPath: "limits.max_body_bytes",
            reasonContains: "negative"),
        .init(
            json: #"{"limits": {"max_total_bytes": "1.5GiB"}}"#, keyPath: "limits.max_total_bytes",
            reasonContains: "whole numbers"),
        .init(
            json: #"{"limits": {"max_total_bytes": "99999999TiB"}}"#, keyPath: "limits.max_total_bytes",
            reasonContains: "larger than"),
        .init(
            json: #"{"limits": {"max_body_bytes": 0}}"#, keyPath: "limits.max_body_bytes",
            reasonContains: "expected a size from 1B"),
        .init(
            json: #"{"limits": {"connection_memory": "1KiB"}}"#, keyPath: "limits.connection_memory",
            reasonContains: "expected a size from 4KiB to 1GiB"),
        // Impossible values.
        .init(json: #"{"listen": {"port": 65536}}"#, keyPath: "listen.port", reasonContains: "from 0 to 65535"),
        .init(json: #"{"listen": {"port": -1}}"#, keyPath: "listen.port", reasonContains: "from 0 to 65535"),
        .init(
            json: #"{"listen": {"host": "example.com"}}"#, keyPath: "listen.host",
            reasonContains: "expected an IPv4 address"),
        .init(json: #"{"threads": 0}"#, keyPath: "threads", reasonContains: "from 1 to 256"),
        .init(json: #"{"threads": 257}"#, keyPath: "threads", reasonContains: "from 1 to 256"),
        .init(
            json: #"{"limits": {"max_connections": 0}}"#, keyPath: "limits.max_connections",
            reasonContains: "from 1 to"),
        .init(
            json: #"{"limits": {"max_arena_bytes": "2GiB"}}"#, keyPath: "limits.max_arena_bytes",
            reasonContains: "more than limits.max_total_bytes"),
        .init(json: #"{"trace": {"ring_capacity": 0}}"#, keyPath: "trace.ring_capacity", reasonContains: "from 1 to"),
        .init(
            json: #"{"trace": {"keep_generations": 4097}}"#, keyPath: "trace.keep_generations",
            reasonContains: "from 0 to"),
        .init(
            json: #"{"trace": {"ring_capacity": 1000}}"#, keyPath: "trace.ring_capacity",
            reasonContains: "power of two"),
        .init(
            json: #"{"trace": {"ring_capacity": 2097152}}"#, keyPath: "trace.ring_capacity",
            reasonContains: "to 1048576"),
        // Arena entries.
        .init(
            json: #"{"arenas": [{"policy": "fixed", "capacity": 1}]}"#, keyPath: "arenas[0].name",
            reasonContains: "required"),
        .init(
            json: #"{"arenas": [{"name": "", "policy": "fixed", "capacity": 1}]}"#, keyPath: "arenas[0].name",
            reasonContains: "1-64 characters"),
        .init(
            json: #"{"arenas": [{"name": ".hidden", "policy": "fixed", "capacity": 1}]}"#,
            keyPath: "arenas[0].name", reasonContains: "not starting with '.'"),
        .init(
            json: #"{"arenas": [{"name": "a/b", "policy": "fixed", "capacity": 1}]}"#,
            keyPath: "arenas[0].name", reasonContains: #"got "a/b""#),
        .init(
            json: #"{"arenas": [{"name": "\#(String(repeating: "x", count: 65))", "#
                + #""policy": "fixed", "capacity": 1}]}"#,
            keyPath: "arenas[0].name", reasonContains: "1-64 characters"),
        .init(
            json: #"{"arenas": [{"name": "a", "class": "b c", "policy": "fixed", "capacity": 1}]}"#,
            keyPath: "arenas[0].class", reasonContains: "1-64 characters"),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "fixed", "capacity": 1}, "#
                + #"{"name": "a", "policy": "fixed", "capacity": 1}]}"#,
            keyPath: "arenas[1].name", reasonContains: #"duplicate arena name "a""#),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "elastic"}]}"#, keyPath: "arenas[0].policy",
            reasonContains: #"got "elastic""#),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "fixed"}]}"#, keyPath: "arenas[0].capacity",
            reasonContains: "required for a fixed arena"),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "fixed", "capacity": 1, "limit": 2}]}"#,
            keyPath: "arenas[0].limit", reasonContains: "not allowed for a fixed arena"),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "growing", "initial_chunk": "1KiB"}]}"#,
            keyPath: "arenas[0].limit", reasonContains: "required for a growing arena"),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "growing", "limit": 1, "capacity": 1}]}"#,
            keyPath: "arenas[0].capacity", reasonContains: "not allowed for a growing arena"),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "growing", "initial_chunk": "2MiB", "limit": "1MiB"}]}"#,
            keyPath: "arenas[0].initial_chunk", reasonContains: "2MiB is more than the arena's limit (1MiB)"),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "fixed", "capacity": "512MiB"}]}"#,
            keyPath: "arenas[0].capacity", reasonContains: "more than limits.max_arena_bytes (256MiB)"),
        .init(
            json: #"{"arenas": [{"name": "a", "policy": "growing", "limit": "300MiB"}]}"#,
            keyPath: "arenas[0].limit", reasonContains: "more than limits.max_arena_bytes"),
        .init(
            json: #"{"limits": {"max_total_bytes": "1MiB", "max_arena_bytes": "1MiB"}, "arenas": ["#
                + #"{"name": "a", "policy": "fixed", "capacity": "1MiB"}, "#
                + #"{"name": "b", "policy": "fixed", "capacity": 1}]}"#,
            keyPath: "arenas", reasonContains: "more than limits.max_total_bytes (1MiB)"),
        .init(
            json: #"{"limits": {"max_total_bytes": "16MiB", "max_arena_bytes": "16MiB"}}"#,
            keyPath: "arenas", reasonContains: "more than limits.max_total_bytes (16MiB)"),
        .init(
            json: #"{"limits": {"max_arenas": 2}}"#, keyPath: "arenas",
            reasonContains: "3 arenas declared, more than limits.max_arenas (2)"),
        // Auth.
        .init(
            json: #"{"auth": {"token": "a", "token_file": "/b"}}"#, keyPath: "auth",
            reasonContains: "token and token_file are both set"),
        .init(json: #"{"auth": {"token": ""}}"#, keyPath: "auth.token", reasonContains: "must not be empty"),
        .init(json: #"{"auth": {"token": 42}}"#, keyPath: "auth.token", reasonContains: "expected a string"),
        .init(
            json: #"{"auth": {"protect_reads": 1}}"#, keyPath: "auth.protect_reads",
            reasonContains: "expected true or false"),
    ]

    @Test(arguments: rejected)
    func rejectsWithKeyPath(_ testCase: RejectedConfiguration) {
        #expect {
            _ = try parse(testCase.json)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            let matches =
                error.keyPath == testCase.keyPath && error.reason.contains(testCase.reasonContains)
                && error.message.hasPrefix(testCase.keyPath + ": ")
            if !matches { Issue.record("got \(error.message)") }
            return matches
        }
    }

    @Test func sizeErrorMessageMatchesTheDocumentedForm() {
        #expect(
            throws: ConfigurationError(
                "limits.max_body_bytes",
                #"expected a size like 1048576 or "1MiB", got "lots""#)
        ) {
            _ = try parse(#"{"limits": {"max_body_bytes": "lots"}}"#)
        }
    }
}
