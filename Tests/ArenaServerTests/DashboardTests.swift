import Foundation
import Testing

@testable import ArenaHTTP

/// The dashboard at `GET /`: its HTML (self-contained), and in headless Chromium against the real daemon (the
/// DOM it builds from /arenas and the live stream, and a screenshot a person can look at). The browser tests need
/// Debian's chromium (`ARENA_INSTALL_CHROMIUM=1 scripts/install-deps.sh test`, or CI): skipped without it on a
/// developer's machine, failed without it under CI. `DashboardBrowserTests` use the page's controls.
@Suite(.serialized, .sharedChromium) struct DashboardTests {
    /// Beside the build products, whatever the scratch path.
    static let screenshot = TestPaths.buildDirectory.appendingPathComponent("screenshots/dashboard.png")

    @Test(arguments: Transport.allCases) func pageIsSelfContainedHTML(_ transport: Transport) throws {
        let response = try TestClient(transport).get("/")
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "text/html; charset=utf-8")
        let html = response.text
        #expect(html.hasPrefix("<!doctype html>"))
        // No asset or request may leave the daemon: no absolute URLs, no src/href attributes, no CSS imports.
        for outside in ["http://", "https://", "src=", "href=", "url(", "@import", "//cdn", "integrity="] {
            #expect(!html.lowercased().contains(outside), "the page contains \(outside)")
        }
        // Every fetch (the page's `authFetch` wrapper included) goes to a path of this server.
        let fetches =
            html.components(separatedBy: "Fetch(").dropFirst()
            + html.components(separatedBy: "fetch(").dropFirst()
        #expect(fetches.count >= 4)
        for call in fetches {
            #expect(call.hasPrefix("\"/") || call.hasPrefix("path,"), "fetch(\(call.prefix(30))")
        }
        for hook in [
            #"id="tail""#, #"id="rows""#, "tr.dataset.arena = name", #"class="used""#,
            "document.body.dataset.loaded = \"true\"", "/events?follow=1&format=ndjson", #"id="pause""#,
            #"id="tail-filter""#, #"id="tail-paused""#, #"class="spark""#, "confirm(",
        ] {
            #expect(html.contains(hook), "the page has \(hook)")
        }
    }

    @Test(.enabled(if: HeadlessChromium.shouldRun, HeadlessChromium.missing))
    func browserRendersEveryArenaWithItsFillAndTheLiveTail() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_requests": false }"#)
        let client = TestClient(port: daemon.port)
        // 20 arenas of two classes at fills from 0 % to 95 %, plus the three default ones.
        for index in 0..<20 {
            let name = "dash-\(index < 10 ? "0" : "")\(index)"
            let arenaClass = index.isMultiple(of: 2) ? "web" : "job"
            try client.createArena(#"{"name":"\#(name)","capacity":4096,"class":"\#(arenaClass)"}"#)
            if index > 0 { try client.allocate(name, #"{"size":\#(index * 4096 / 21)}"#) }
        }
        try client.allocate("request", #"{"size":50000}"#)
        try client.allocate("frame", #"{"sizes":[1000,3]}"#)
        try client.allocate("scratch", #"{"size":8192}"#)
        #expect(
            client.post("/arenas/dash-19/allocations", json: #"{"size":4096}"#).status.code == 507,
            "a failure for the tail")
        let arenas = try #require(try client.get("/arenas").json()["arenas"]?.array)
        #expect(arenas.count == 23)

        let url = "http://127.0.0.1:\(daemon.port)/"
        let page = try Self.newPage()
        let dom = try Self.dom(
            of: page, at: url,
            when: ##"document.querySelectorAll("#rows tr").length === 23 && "##
                + #"document.getElementById("tail").innerText.includes("dash-19: Failed")"#)
        #expect(dom.contains(#"data-loaded="true""#), "the first refresh finished")
        let rows = Self.rows(in: dom)
        #expect(rows.count == arenas.count)
        for arena in arenas {
            let name = try #require(arena["name"]?.string)
            let used = try #require(arena["stats"]?["used_bytes"]?.int)
            let limit = try #require(arena["stats"]?["limit_bytes"]?.int)
            let row = try #require(rows[name], "a row for \(name)")
            #expect(row.used == used, "\(name): data-used")
            #expect(row.limit == limit, "\(name): data-limit")
            let percent = Double(used) / Double(limit) * 100
            #expect(
                abs(row.widthPercent - (percent * 100).rounded() / 100) < 0.006,
                "\(name): width \(row.widthPercent)% for \(used) / \(limit)")
        }
        #expect(dom.contains(#"style="width: 76.29%;""#), "request: 50000 / 65536")

        // Each line: the event's time (HH:MM:SS.mmm), then the arena and the event.
        let tail = try #require(Self.tailLines(in: dom), "#tail")
        for line in [
            "request: Allocated 50000 from 0 to 49999", "frame: Allocated 3 from 1000 to 1002",
            "dash-19: Failed to allocate 4096 bytes (used \(19 * 4096 / 21) of 4096)",
        ] {
            #expect(
                tail.contains { $0.hasSuffix(" " + line) && DashboardBrowserTests.millisecondOfDay($0) != nil },
                "a tail line '<time> \(line)' in \(tail.suffix(5))")
        }

        try? FileManager.default.removeItem(at: Self.screenshot)
        try FileManager.default.createDirectory(
            at: Self.screenshot.deletingLastPathComponent(),
            withIntermediateDirectories: true)
        try page.screenshot().write(to: Self.screenshot)
        let png = try Data(contentsOf: Self.screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG file")
        try #require(png.count > 10_000, "a real picture, \(png.count) bytes")
        // The IHDR chunk: width and height, big-endian, at bytes 16..<24.
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1400 && height == 800, "\(width)x\(height)")
    }

    /// A thousand untraced arenas (a ring of 4096 events each would be ~230 MB), a seventh of them used.
    static func startWithAThousandArenas() throws -> (LiveDaemon, TestClient) {
        let daemon = try LiveDaemon(
            configuration: #"""
                { "log_requests": false, "limits": { "max_arenas": 2000, "max_total_bytes": "1GiB" } }
                """#)
        let client = TestClient(port: daemon.port)
        for index in 0..<1000 {
            let name = "bulk-" + String(index + 10_000).dropFirst()
            try client.createArena(#"{"name":"\#(name)","capacity":1024,"class":"bulk","trace":false}"#)
            if index.isMultiple(of: 7) { try client.allocate(name, #"{"size":\#(index % 1024 + 1)}"#) }
        }
        return (daemon, client)
    }

    @Test func thousandArenasAreListedQuickly() throws {
        let (daemon, client) = try Self.startWithAThousandArenas()
        let clock = ContinuousClock()
        var list: JSON?
        var slowest = Duration.zero
        for _ in 0..<3 {
            let started = clock.now
            list = try client.get("/arenas").json()
            slowest = max(slowest, clock.now - started)
        }
        #expect(list?["count"]?.int == 1003)
        #expect(list?["arenas"]?.array?.count == 1003)
        // A debug build on a shared 2-core machine answers in a few ms; a second means something is quadratic.
        #expect(slowest < .seconds(1), "GET /arenas with 1003 arenas took \(slowest)")
        #expect(try client.metrics().value("arena_arenas", ["class": "bulk"]) == 1000)
        #expect(daemon.stop() == .exited(0))
    }

    @Test(.enabled(if: HeadlessChromium.shouldRun, HeadlessChromium.missing))
    func browserRendersAThousandArenas() throws {
        let (daemon, _) = try Self.startWithAThousandArenas()
        let dom = try Self.dom(
            of: try Self.newPage(), at: "http://127.0.0.1:\(daemon.port)/",
            when: #"document.getElementById("shown").textContent === "1003 of 1003 shown""#)
        #expect(Self.rows(in: dom).count == 1003)
        #expect(dom.contains("1003 of 1003 shown"))
    }

    // MARK: - Chromium

    /// A page (1400 x 800) of the suite's browser.
    static func newPage() throws -> HeadlessChromium.Page {
        try HeadlessChromium.required().newPage()
    }

    /// The DOM (`outerHTML`, what `chromium --dump-dom` prints) of `url` in `page` once the JavaScript `ready`
    /// holds (at most 30 s).
    static func dom(of page: HeadlessChromium.Page, at url: String, when ready: String) throws -> String {
        try page.open(url)
        try page.waitUntil(ready, timeout: .seconds(30), "the dashboard at \(url)")
        return try #require(try page.evaluate("document.documentElement.outerHTML").string)
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

    /// The text of each line div in `#tail`, its tags (the time's span) removed.
    static func tailLines(in dom: String) -> [String]? {
        guard let start = dom.range(of: #"<div id="tail">"#) else { return nil }
        let tail = dom[start.upperBound...].components(separatedBy: "</section>")[0]
        return tail.components(separatedBy: "<div").dropFirst().compactMap { line in
            guard let open = line.firstIndex(of: ">"), let close = line.range(of: "</div>") else { return nil }
            var text = ""
            var inTag = false
            for character in line[line.index(after: open)..<close.lowerBound] {
                if character == "<" {
                    inTag = true
                } else if character == ">" {
                    inTag = false
                } else if !inTag {
                    text.append(character)
                }
            }
            return text
        }
    }
}
