import Foundation
import Testing

@testable import ArenaHTTP

/// The dashboard used as an operator uses it: the real page in headless Chromium (`HeadlessChromium`, the
/// DevTools protocol on a pipe) against the real daemon, with traffic from the test's client while the page runs.
/// Each control has a check that fails without it: the time on each tail line, pause and resume, the tail's
/// filter, the history sparklines, the confirmation before a reset (with the token flow), the layout at 900 px.
/// The page's own state is read the way a person reads it: text on the screen (`innerText`), pixels of a canvas.
@Suite(.serialized, .enabled(if: HeadlessChromium.shouldRun, HeadlessChromium.missing), .sharedChromium)
struct DashboardBrowserTests {
    /// A daemon, a client to it and the dashboard in a page of the suite's browser.
    struct Dashboard {
        let daemon: LiveDaemon
        let client: TestClient
        let page: HeadlessChromium.Page
    }

    /// The tail's lines as shown (lines hidden by the filter are not text on the screen).
    static let tailLines = #"document.getElementById("tail").innerText.split("\n").filter(line => line.length > 0)"#

    /// Starts a daemon with `configuration`, lets `prepare` make arenas, and opens the dashboard in a page of
    /// `width` x `height`; returns once the table is filled and the tail follows the stream.
    static func openDashboard(
        configuration: String = #"{ "log_requests": false }"#, width: Int = 1400, height: Int = 800,
        timeZone: String? = nil, promptAnswer: String? = nil, prepare: (TestClient) throws -> Void = { _ in }
    ) throws -> Dashboard {
        let daemon = try LiveDaemon(configuration: configuration)
        let client = TestClient(port: daemon.port)
        try prepare(client)
        let browser = try HeadlessChromium.required()
        let page = try browser.newPage(width: width, height: height)
        page.promptAnswer = promptAnswer
        if let timeZone { try page.setTimeZone(timeZone) }
        try page.open("http://127.0.0.1:\(daemon.port)/")
        try page.waitUntil(
            #"document.body?.dataset.loaded === "true" && document.getElementById("tail-status").textContent === "following""#,
            timeout: .seconds(20), "the first refresh and the live stream")
        return Dashboard(daemon: daemon, client: client, page: page)
    }

    /// Waits until a shown tail line contains `text` and returns the lines.
    @discardableResult
    static func waitForLine(_ text: String, in page: HeadlessChromium.Page) throws -> [String] {
        let lines = try page.waitUntil(
            "(() => { const lines = \(tailLines); return lines.some(line => line.includes(\"\(text)\")) && lines; })()",
            "a tail line with '\(text)'")
        return lines.array?.compactMap(\.string) ?? []
    }

    static func shownLines(_ page: HeadlessChromium.Page) throws -> [String] {
        try page.evaluate(tailLines).array?.compactMap(\.string) ?? []
    }

    /// A number from the page (NaN when it is not one).
    static func number(_ json: JSON?) -> Double { (json?.value as? NSNumber)?.doubleValue ?? .nan }

    static func setTailFilter(_ text: String, in page: HeadlessChromium.Page) throws {
        try page.evaluate(
            #"(() => { const box = document.getElementById("tail-filter"); box.value = "\#(text)"; "#
                + #"box.dispatchEvent(new Event("input")); return true; })()"#)
    }

    // MARK: - The live tail

    @Test func tailLinesShowTheEventTimeInLocalTime() throws {
        // +05:30 all year: a page that printed UTC, or the time the line arrived, would be off.
        let dashboard = try Self.openDashboard(timeZone: "Asia/Kolkata")
        try dashboard.client.allocate("request", #"{"size":1234}"#)
        let lines = try Self.waitForLine("request: Allocated 1234 from 0 to 1233", in: dashboard.page)
        let line = try #require(lines.first { $0.contains("Allocated 1234") })
        let events = try dashboard.client.get("/arenas/request/events?format=json").json()
        let nanoseconds = try #require(events["events"]?[0]?["time_unix_ns"]?.uint64)

        #expect(line.hasSuffix(" request: Allocated 1234 from 0 to 1233"), "\(line)")
        let shown = try #require(Self.millisecondOfDay(line), "'\(line)' starts with HH:MM:SS.mmm")
        let expected = Int((nanoseconds / 1_000_000 + 19_800_000) % 86_400_000)
        // A double keeps the nanoseconds to a quarter of a microsecond: the millisecond may round up by one.
        let difference = (shown - expected + 86_400_000) % 86_400_000
        #expect(difference <= 1 || difference == 86_399_999, "\(line) for time_unix_ns \(nanoseconds)")
    }

    /// The time of day in milliseconds of a line that starts with `HH:MM:SS.mmm `.
    static func millisecondOfDay(_ line: String) -> Int? {
        let characters = Array(line.prefix(13))
        guard characters.count == 13, characters[2] == ":", characters[5] == ":", characters[8] == ".",
            characters[12] == " "
        else { return nil }
        let number = { (range: Range<Int>) in Int(String(characters[range])) }
        guard let hours = number(0..<2), let minutes = number(3..<5), let seconds = number(6..<8),
            let milliseconds = number(9..<12), hours < 24, minutes < 60, seconds < 60
        else { return nil }
        return ((hours * 60 + minutes) * 60 + seconds) * 1000 + milliseconds
    }

    @Test func pauseHoldsNewLinesAndResumeShowsThem() throws {
        let dashboard = try Self.openDashboard()
        let (client, page) = (dashboard.client, dashboard.page)
        try client.allocate("request", #"{"size":101}"#)
        try Self.waitForLine("request: Allocated 101 from 0 to 100", in: page)

        try page.evaluate(#"document.getElementById("pause").click()"#)
        #expect(try page.evaluate(#"document.getElementById("pause").textContent"#).string == "Resume")
        try client.allocate("request", #"{"size":102}"#)
        try client.allocate("request", #"{"size":103}"#)
        // The page has both events (it counts them) and shows neither.
        let held = try page.waitUntil(
            #"(() => { const text = document.getElementById("tail-paused").textContent; "#
                + #"return text.includes("2 new") && text; })()"#, "the count of lines held while paused")
        #expect(held.string?.hasPrefix("paused: 2 new") == true, "\(held)")
        let paused = try Self.shownLines(page)
        #expect(paused.contains { $0.hasSuffix("request: Allocated 101 from 0 to 100") })
        #expect(!paused.contains { $0.contains("Allocated 102") || $0.contains("Allocated 103") }, "\(paused)")

        try page.evaluate(#"document.getElementById("pause").click()"#)
        let resumed = try Self.waitForLine("request: Allocated 103 from 208 to 310", in: page)
        let order = ["Allocated 101 ", "Allocated 102 ", "Allocated 103 "].map { text in
            resumed.firstIndex { $0.contains(text) } ?? -1
        }
        #expect(order.allSatisfy { $0 >= 0 } && order == order.sorted(), "\(resumed)")
        #expect(try page.evaluate(#"document.getElementById("tail-paused").textContent"#).string == "")
        #expect(try page.evaluate(#"document.getElementById("pause").textContent"#).string == "Pause")
        // Following again: a new line appears at once.
        try client.allocate("request", #"{"size":104}"#)
        try Self.waitForLine("request: Allocated 104 ", in: page)
    }

    @Test func tailFilterHidesOtherArenasLines() throws {
        let dashboard = try Self.openDashboard { client in
            try client.createArena(#"{"name":"alpha-1","capacity":4096}"#)
            try client.createArena(#"{"name":"beta-1","capacity":4096}"#)
        }
        let (client, page) = (dashboard.client, dashboard.page)
        try client.allocate("alpha-1", #"{"size":11}"#)
        try client.allocate("beta-1", #"{"size":12}"#)
        try Self.waitForLine("beta-1: Allocated 12 ", in: page)

        try Self.setTailFilter("beta", in: page)
        let filtered = try Self.shownLines(page)
        #expect(filtered.contains { $0.hasSuffix("beta-1: Allocated 12 from 0 to 11") }, "\(filtered)")
        #expect(filtered.allSatisfy { $0.contains(" beta-1: ") }, "\(filtered)")
        // New lines are filtered too. The stream sends events in time order, ties (one millisecond tick) by arena
        // name: alpha-1's event comes before beta-1's, so it has arrived when beta-1's shows.
        try client.allocate("alpha-1", #"{"size":13}"#)
        try client.allocate("beta-1", #"{"size":14}"#)
        let later = try Self.waitForLine("beta-1: Allocated 14 ", in: page)
        #expect(later.allSatisfy { $0.contains(" beta-1: ") }, "\(later)")

        try Self.setTailFilter("", in: page)
        let all = try Self.shownLines(page)
        for line in [
            "alpha-1: Allocated 11 ", "beta-1: Allocated 12 ", "alpha-1: Allocated 13 ", "beta-1: Allocated 14 ",
        ] {
            #expect(all.contains { $0.contains(line) }, "\(line) in \(all)")
        }
    }

    // MARK: - History

    /// The history column of `arena`: samples kept, the latest rate, and how many pixels its canvas has painted.
    static func history(of arena: String) -> String {
        #"""
        (() => {
          const canvas = document.querySelector('tr[data-arena="\#(arena)"] canvas');
          if (!canvas || !canvas.width) return null;
          const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
          return { samples: Number(canvas.dataset.samples || 0), rate: Number(canvas.dataset.rate || 0), painted,
                   title: canvas.title };
        })()
        """#
    }

    @Test func historyKeepsSamplesOfFillAndRateAndDrawsThem() throws {
        let dashboard = try Self.openDashboard()
        let (client, page) = (dashboard.client, dashboard.page)
        // Traffic until the page has sampled "frame" twice with allocations in between (it samples every 2 s).
        var history = JSON(value: NSNull())
        let deadline = ContinuousClock.now + .seconds(20)
        repeat {
            try client.allocate("frame", #"{"sizes":[64,64,64,64]}"#)
            history = try page.evaluate(Self.history(of: "frame"))
            if Self.number(history["samples"]) >= 2 && Self.number(history["rate"]) > 0 { break }
            usleep(100_000)
        } while ContinuousClock.now < deadline
        let samples = Int(Self.number(history["samples"]))
        #expect(samples >= 2, "\(history)")
        #expect(
            Self.number(history["rate"]) > 0, "allocations per second from the lifetime_allocations deltas: \(history)")
        #expect(Self.number(history["painted"]) > 100, "the sparkline is drawn: \(history)")
        #expect(history["title"]?.string?.contains("\(samples) samples") == true, "\(history)")
        // An idle arena has samples too, a rate of 0, and its fill drawn.
        let idle = try page.evaluate(Self.history(of: "scratch"))
        #expect(Self.number(idle["samples"]) >= 2, "\(idle)")
        #expect(Self.number(idle["rate"]) == 0, "\(idle)")
        #expect(Self.number(idle["painted"]) > 50, "\(idle)")
        #expect(dashboard.daemon.stop() == .exited(0))
    }

    /// The window: the page keeps 10 minutes of samples (older ones go), an arena deleted and created again under
    /// the same name starts a new history. The page's sampler is fed 12 minutes of samples 2 s apart, as its
    /// refresh would be (its functions are globals of the page's script), and read back in the same turn.
    @Test func historyKeepsTheLastTenMinutes() throws {
        let dashboard = try Self.openDashboard()
        let kept = try dashboard.page.evaluate(
            #"""
            (() => {
              const arena = (allocations, created) => ({ name: "synthetic", created_at: created,
                stats: { lifetime_allocations: allocations, used_bytes: 25, limit_bytes: 100 } });
              const start = 1e12;
              for (let i = 0; i <= 360; i++) recordSamples([arena(i * 4, "a")], start + i * 2000);
              const h = histories.get("synthetic");
              const kept = { samples: h.t.length, oldestSeconds: (start + 720000 - h.t[0]) / 1000,
                             rate: h.rate[h.rate.length - 1], fill: h.fill[0] };
              recordSamples([arena(3, "b")], start + 722000);
              const again = histories.get("synthetic");
              return { ...kept, recreated: again.t.length, recreatedRate: again.rate[0] };
            })()
            """#)
        #expect(Self.number(kept["samples"]) == 301, "samples of the last 600 s, 2 s apart: \(kept)")
        #expect(Self.number(kept["oldestSeconds"]) == 600, "\(kept)")
        #expect(Self.number(kept["rate"]) == 2, "4 allocations in 2 s: \(kept)")
        #expect(Self.number(kept["fill"]) == 0.25, "\(kept)")
        #expect(Self.number(kept["recreated"]) == 1, "a new arena of the same name: \(kept)")
        #expect(kept["recreatedRate"]?.value is NSNull, "no rate before a second sample: \(kept)")
    }

    // MARK: - Reset

    /// With a token for changes, as an operator meets it: a reset asks first, then (on 401) for the token. The
    /// reset is the browser's own POST (with its `Origin` and `Sec-Fetch-Site`), so it also shows the page passes
    /// the Host and cross-site checks.
    @Test func resetAsksFirstAndACancelledResetSendsNothing() throws {
        let token = "dash-secret"
        let auth: HTTPHeaders = ["Authorization": "Bearer \(token)"]
        let dashboard = try Self.openDashboard(
            configuration: #"{ "log_requests": false, "auth": { "token": "\#(token)" } }"#, promptAnswer: token)
        let (client, page) = (dashboard.client, dashboard.page)
        let resets = { (try? client.arena("request"))?["stats"]?["resets"]?.int ?? -1 }
        let allocated = client.post("/arenas/request/allocations", json: #"{"size":500}"#, headers: auth)
        try #require(allocated.status.code == 201, "\(allocated.text)")
        try page.waitUntil(
            #"document.querySelector('tr[data-arena="request"] .usedb')?.textContent === "500 B""#,
            "the row shows 500 B used")
        let click = #"document.querySelector('tr[data-arena="request"] button').click()"#

        page.confirmAnswer = false
        try page.evaluate(click)
        let asked = try #require(page.dialogs.last)
        #expect(asked.type == "confirm")
        #expect(asked.message.contains(#"Reset arena "request"?"#) && asked.message.contains("500 B"), "\(asked)")
        try page.waitUntil(
            #"document.getElementById("status").textContent === "reset of request cancelled""#,
            "the page says it did not reset")
        // Nothing can be watched arriving here, so watch for a while that nothing does.
        #expect(!eventually(timeout: .seconds(1)) { resets() != 0 }, "a cancelled confirm sent a reset")
        #expect(resets() == 0)
        #expect(page.dialogs.map(\.type) == ["confirm"], "no request, so no 401 and no question for the token")

        page.confirmAnswer = true
        try page.evaluate(click)
        // Waiting on the page, not the API: the question for the token is answered while the page is asked.
        try page.waitUntil(
            #"document.querySelector('tr[data-arena="request"] .resets')?.textContent === "1""#,
            "the row shows the reset")
        #expect(resets() == 1, "the accepted confirm reset the arena")
        // The reset got 401 without a token, the page asked for it and sent the reset again with it.
        #expect(page.dialogs.map(\.type) == ["confirm", "confirm", "prompt"], "\(page.dialogs)")
        let arena = try client.arena("request")
        #expect(arena["stats"]?["used_bytes"]?.int == 0)
        #expect(arena["generation"]?.int == 1)
        let scrape = try client.metrics()
        #expect(scrape.value("http_requests_total", ["route": "/arenas/{name}/reset", "code": "200"]) == 1)
        #expect(scrape.value("http_requests_total", ["route": "/arenas/{name}/reset", "code": "401"]) == 1)
    }

    // MARK: - Layout

    @Test func layoutFitsA900PixelWindow() throws {
        let dashboard = try Self.openDashboard(width: 900, height: 800) { client in
            // Long names and large numbers: the widest cells an operator sees.
            try client.createArena(#"{"name":"checkout-request-7f3a9c2e","capacity":"200MiB","class":"checkout"}"#)
            try client.allocate("checkout-request-7f3a9c2e", #"{"size":123456789}"#)
            try client.createArena(#"{"name":"image-resize-job-000042","capacity":"1MiB","class":"jobs"}"#)
            let sizes = Array(repeating: "8", count: 1000).joined(separator: ",")
            for _ in 0..<12 { try client.allocate("frame", #"{"sizes":[\#(sizes)]}"#) }
        }
        let page = dashboard.page
        try page.waitUntil(
            ##"document.querySelectorAll("#rows tr").length === 5 && document.getElementById("tail").innerText !== """##,
            "every row and the tail's backlog")
        let layout = try page.evaluate(
            #"""
            (() => {
              const wrap = document.querySelector("#rows").closest("div"), tail = document.getElementById("tail");
              const buttons = [...document.querySelectorAll("#rows button")].map(b => b.getBoundingClientRect().right);
              return { viewport: innerWidth, page: document.scrollingElement.scrollWidth,
                       table: wrap.scrollWidth, tableBox: wrap.clientWidth,
                       tailWidth: tail.getBoundingClientRect().width,
                       tailTop: tail.getBoundingClientRect().top, tableBottom: wrap.getBoundingClientRect().bottom,
                       rightmostButton: Math.max(...buttons),
                       bar: document.querySelector("#rows .bar").getBoundingClientRect().width };
            })()
            """#)
        let number = { (key: String) in Self.number(layout[key]) }
        #expect(number("viewport") == 900)
        #expect(number("page") <= 900, "the page scrolls sideways: \(layout)")
        #expect(number("table") <= number("tableBox"), "the table scrolls sideways: \(layout)")
        #expect(number("rightmostButton") <= 900, "every reset button is on screen: \(layout)")
        #expect(number("bar") >= 80, "the fill bars stay readable: \(layout)")
        // The tail goes under the table, as wide as the page.
        #expect(number("tailTop") >= number("tableBottom"), "\(layout)")
        #expect(number("tailWidth") >= 800, "\(layout)")
    }

    // MARK: - The picture in the README

    /// `make dashboard-screenshot` (ARENA_DASHBOARD_SCREENSHOT=path): 20 s of mixed traffic, then a PNG of the
    /// dashboard with its history, tail and table, for docs/dashboard.png. Not part of `make test`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ARENA_DASHBOARD_SCREENSHOT"] != nil))
    func screenshotForTheReadme() throws {
        let path = try #require(ProcessInfo.processInfo.environment["ARENA_DASHBOARD_SCREENSHOT"])
        let names = ["checkout-req-1841", "checkout-req-1842", "render-frame-7", "thumbnail-job-22", "import-job-3"]
        let dashboard = try Self.openDashboard(width: 1600, height: 900) { client in
            for (index, name) in names.enumerated() {
                let arenaClass = name.hasPrefix("checkout") ? "checkout" : name.hasSuffix("frame-7") ? "render" : "jobs"
                try client.createArena(#"{"name":"\#(name)","capacity":"\#(16 << index)KiB","class":"\#(arenaClass)"}"#)
            }
        }
        let client = dashboard.client
        let clock = ContinuousClock()
        let start = clock.now
        var round = 0
        while clock.now - start < .seconds(20) {
            round += 1
            for (index, name) in names.enumerated() {
                // Each arena its own rhythm: fills that climb, reset now and then, at different rates.
                let size = 64 << ((round + index) % 5)
                let response = client.post("/arenas/\(name)/allocations", json: #"{"sizes":[\#(size),\#(size)]}"#)
                if response.status.code == 507 || (round + index * 7) % (40 + index * 9) == 0 {
                    _ = client.post("/arenas/\(name)/reset")
                }
            }
            try client.allocate("request", #"{"size":\#(16 + round % 200)}"#)
            if round % 3 == 0 { try client.allocate("frame", #"{"sizes":[512,1024,2048]}"#) }
            if round % 50 == 0 { _ = client.post("/arenas/request/reset") }
            usleep(50_000)
        }
        try dashboard.page.waitUntil(
            #"document.getElementById("tail").innerText.length > 0"#, "the tail has lines")
        let png = try dashboard.page.screenshot()
        try png.write(to: URL(fileURLWithPath: path))
        #expect(png.count > 10_000)
    }
}
