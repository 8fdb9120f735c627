import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ArenaServer

/// The dashboard at `GET /`: in-process (self-contained HTML), and in headless Chromium against the real daemon
/// (the DOM it builds from /arenas and the live stream, and a screenshot a person can look at).
@Suite(.serialized) struct DashboardTests {
    static let chromium = "/usr/bin/chromium"
    static let hasChromium = FileManager.default.isExecutableFile(atPath: chromium)
    static let screenshot = TestSupport.repositoryRoot.appendingPathComponent(".build/screenshots/dashboard.png")

    @Test func pageIsSelfContainedHTML() throws {
        let api = try ArenaAPI(configuration: Configuration())
        let response = api.handle(HTTPRequest(method: .get, path: "/"))
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "text/html; charset=utf-8")
        guard case .bytes(let bytes) = response.body else {
            Issue.record("the page is a plain body")
            return
        }
        let html = String(decoding: bytes, as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>"))
        // No asset or request may leave the daemon: no absolute URLs, no src/href attributes, no CSS imports.
        for outside in ["http://", "https://", "src=", "href=", "url(", "@import", "//cdn", "integrity="] {
            #expect(!html.lowercased().contains(outside), "the page contains \(outside)")
        }
        // Every fetch (the page's `authFetch` wrapper included) goes to a path of this server.
        let fetches = html.components(separatedBy: "Fetch(").dropFirst() + html.components(separatedBy: "fetch(").dropFirst()
        #expect(fetches.count >= 4)
        for call in fetches {
            #expect(call.hasPrefix("\"/") || call.hasPrefix("path,"), "fetch(\(call.prefix(30))")
        }
        for hook in [#"id="tail""#, #"id="rows""#, "tr.dataset.arena = name", #"class="used""#,
                     "document.body.dataset.loaded = \"true\"", "/events?follow=1&format=ndjson"] {
            #expect(html.contains(hook), "the page has \(hook)")
        }
    }

    // The browser tests need Debian's chromium (`ARENA_INSTALL_CHROMIUM=1 scripts/install-deps.sh test`, or CI).
    @Test(.enabled(if: !hasChromium, "runs only to say that the browser test was skipped"))
    func browserTestSkipped() {
        print("SKIPPED dashboard browser test: chromium not installed")
    }

    @Test(.enabled(if: hasChromium, "chromium not installed"))
    func browserRendersEveryArenaWithItsFillAndTheLiveTail() async throws {
        let server = try MonitoredServer()
        // 20 arenas of two classes at fills from 0 % to 95 %, plus the three default ones.
        for index in 0..<20 {
            let name = "dash-\(index < 10 ? "0" : "")\(index)"
            try await server.createArena(name, capacity: 4096, arenaClass: index.isMultiple(of: 2) ? "web" : "job")
            if index > 0 { #expect(try await server.allocate(name, sizes: [index * 4096 / 21]) == 201) }
        }
        #expect(try await server.allocate("request", sizes: [50_000]) == 201)
        #expect(try await server.allocate("frame", sizes: [1000, 3]) == 201)
        #expect(try await server.allocate("scratch", sizes: [8 << 10]) == 201)
        #expect(try await server.allocate("dash-19", sizes: [4096]) == 507, "a failure for the tail")
        let arenas = try await server.arenas().arenas
        #expect(arenas.count == 23)

        let dom = try await Self.dumpDOM(server.baseURL + "/")
        #expect(dom.contains(#"data-loaded="true""#), "the first refresh finished")
        let rows = Self.rows(in: dom)
        #expect(rows.count == arenas.count)
        for arena in arenas {
            let row = try #require(rows[arena.name], "a row for \(arena.name)")
            #expect(row.used == arena.stats.usedBytes, "\(arena.name): data-used")
            #expect(row.limit == arena.stats.limitBytes, "\(arena.name): data-limit")
            let percent = Double(arena.stats.usedBytes) / Double(arena.stats.limitBytes) * 100
            let fill = "\(arena.stats.usedBytes) / \(arena.stats.limitBytes)"
            #expect(abs(row.widthPercent - (percent * 100).rounded() / 100) < 0.006,
                    "\(arena.name): width \(row.widthPercent)% for \(fill)")
        }
        #expect(dom.contains(#"style="width: 76.29%;""#), "request: 50000 / 65536")

        let tail = try #require(Self.tailLines(in: dom), "#tail")
        #expect(tail.contains("request: Allocated 50000 from 0 to 49999"))
        #expect(tail.contains("frame: Allocated 3 from 1000 to 1002"))
        #expect(tail.contains("dash-19: Failed to allocate 4096 bytes (used \(19 * 4096 / 21) of 4096)"))

        try? FileManager.default.removeItem(at: Self.screenshot)
        try FileManager.default.createDirectory(at: Self.screenshot.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        let shot = try await Self.runChromium(["--screenshot=\(Self.screenshot.path)", "--window-size=1400,800",
                                               server.baseURL + "/"])
        #expect(shot.status == 0, "chromium: \(shot.stderr.suffix(1000))")
        let png = try Data(contentsOf: Self.screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG file")
        #expect(png.count > 10_000, "a real picture, \(png.count) bytes")
        // The IHDR chunk: width and height, big-endian, at bytes 16..<24.
        if png.count > 24 {
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 1400 && height == 800, "\(width)x\(height)")
        }
    }

    @Test func thousandArenasAreListedQuicklyAndRendered() async throws {
        let server = try MonitoredServer(configuration: #"""
            { "log_requests": false, "limits": { "max_arenas": 2000, "max_total_bytes": "1GiB" } }
            """#)
        // Untraced: a ring of 4096 events per arena would be ~230 MB for a thousand.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for index in stride(from: worker, to: 1000, by: 4) {
                        let name = "bulk-" + String(index + 10_000).dropFirst()
                        try await server.createArena(name, capacity: 1024, arenaClass: "bulk", trace: false)
                        if index.isMultiple(of: 7) { _ = try await server.allocate(name, sizes: [index % 1024 + 1]) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let clock = ContinuousClock()
        var list: MonitoredServer.ArenaList?
        var slowest = Duration.zero
        for _ in 0..<3 {
            let started = clock.now
            list = try await server.arenas()
            slowest = max(slowest, clock.now - started)
        }
        #expect(list?.count == 1003)
        #expect(list?.arenas.count == 1003)
        // A debug build on a shared 2-core machine answers in a few ms; a second means something is quadratic.
        #expect(slowest < .seconds(1), "GET /arenas with 1003 arenas took \(slowest)")
        let metrics = try PrometheusScrape(try await server.scrape())
        #expect(metrics.value("arena_arenas", ["class": "bulk"]) == 1000)

        guard Self.hasChromium else {
            print("SKIPPED dashboard browser part of the 1,000-arena test: chromium not installed")
            return
        }
        let dom = try await Self.dumpDOM(server.baseURL + "/")
        #expect(Self.rows(in: dom).count == 1003)
        #expect(dom.contains("1003 of 1003 shown"))
    }

    // MARK: - Chromium

    /// Runs headless chromium with `arguments` (bounded: 60 s) and a throwaway profile.
    static func runChromium(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let profile = try ExternalProcess.temporaryDirectory("arena-chromium")
        defer { try? FileManager.default.removeItem(at: profile) }
        let all = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)",
                   "--virtual-time-budget=5000"] + arguments
        return try await TestSupport.onThread {
            Result { try TestSupport.run(chromium, all, timeout: 60) }
        }.get()
    }

    /// The DOM after the page's scripts ran (`--dump-dom`).
    static func dumpDOM(_ url: String) async throws -> String {
        let result = try await runChromium(["--dump-dom", url])
        #expect(result.status == 0, "chromium --dump-dom: \(result.stderr.suffix(1000))")
        return result.stdout
    }

    struct Row {
        var used: Int
        var limit: Int
        var widthPercent: Double
    }

    /// Each `<tr data-arena="NAME">` with its `.used` bar's data attributes and width.
    static func rows(in dom: String) -> [String: Row] {
        var rows: [String: Row] = [:]
        for part in dom.components(separatedBy: #"<tr data-arena=""#).dropFirst() {
            guard let nameEnd = part.firstIndex(of: "\"") else { continue }
            let name = String(part[..<nameEnd])
            let row = part.components(separatedBy: "</tr>")[0]
            // Chromium serialises: <div class="used" data-used="N" data-limit="N" style="width: 12.34%;">
            guard let used = Int(attribute("data-used", in: row) ?? ""),
                  let limit = Int(attribute("data-limit", in: row) ?? ""),
                  let style = attribute("style", in: row.components(separatedBy: #"class="used""#).last ?? ""),
                  style.hasPrefix("width: "), style.hasSuffix("%;"),
                  let width = Double(style.dropFirst(7).dropLast(2))
            else {
                rows[name] = Row(used: -1, limit: -1, widthPercent: -1)
                continue
            }
            rows[name] = Row(used: used, limit: limit, widthPercent: width)
        }
        return rows
    }

    /// The first `name="value"` in `html`.
    static func attribute(_ name: String, in html: String) -> String? {
        guard let start = html.range(of: " \(name)=\"") else { return nil }
        let rest = html[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// The text of each line div in `#tail`.
    static func tailLines(in dom: String) -> [String]? {
        guard let start = dom.range(of: #"<div id="tail">"#) else { return nil }
        let tail = dom[start.upperBound...].components(separatedBy: "</section>")[0]
        return tail.components(separatedBy: "<div").dropFirst().compactMap { line in
            guard let open = line.firstIndex(of: ">"), let close = line.range(of: "</div>") else { return nil }
            return String(line[line.index(after: open)..<close.lowerBound])
        }
    }
}
