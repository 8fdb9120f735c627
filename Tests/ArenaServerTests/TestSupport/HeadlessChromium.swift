import ArenaCore
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol, to use a page the way a person does: type, click, answer
/// dialogs, read what is on the screen. One browser serves a suite (`.sharedChromium`); each test opens its own
/// `Page` in it.
///
/// The protocol runs on a pipe (`--remote-debugging-pipe`): Chromium reads commands on fd 3 and writes replies
/// and events on fd 4, each a JSON text ended by a NUL byte. So no port, no websocket and no library. The child is
/// started by Foundation's `Process`, which closes every other descriptor of the test process in the child (so
/// Chromium holds none of the test clients' sockets), through `/bin/sh`, which moves its standard input and
/// output, the two pipes, to fds 3 and 4. Every wait is bounded. JavaScript dialogs are answered as soon as they
/// open (`Page.confirmAnswer`, `Page.promptAnswer`) and kept (`Page.dialogs`). Chromium also quits when the pipe
/// closes, so it cannot outlive the test process.
///
/// ```swift
/// let page = try HeadlessChromium.current!.newPage(width: 900, height: 800)
/// try page.open("http://127.0.0.1:\(port)/")
/// try page.waitUntil("document.body?.dataset.loaded === 'true'")
/// page.confirmAnswer = false
/// try page.evaluate("document.querySelector('button.danger').click()")
/// #expect(page.dialogs.last?.type == "confirm")
/// ```
final class HeadlessChromium: Sendable {
    static let path = "/usr/bin/chromium"
    static let isInstalled = FileManager.default.isExecutableFile(atPath: path)

    /// Whether the browser tests must run even without Chromium, and then fail: under CI (`CI` set, as CI sets
    /// it for `.ci/run`) and with `ARENA_INSTALL_CHROMIUM=1`, where `scripts/install-deps.sh test` installs it. A
    /// developer's machine without it skips them, saying why.
    static let isRequired: Bool = {
        let environment = ProcessInfo.processInfo.environment
        let ci = environment["CI"] ?? ""
        return !["", "false", "0"].contains(ci) || environment["ARENA_INSTALL_CHROMIUM"] == "1"
    }()

    /// The condition of every browser test: `.enabled(if: HeadlessChromium.shouldRun, HeadlessChromium.missing)`.
    static let shouldRun = isInstalled || isRequired
    static let missingText =
        "chromium is not installed at /usr/bin/chromium (CI installs it: CI=true or "
        + "ARENA_INSTALL_CHROMIUM=1 scripts/install-deps.sh test)"
    static var missing: Comment { Comment(rawValue: missingText) }

    /// The browser of the running suite, set by `.sharedChromium`.
    @TaskLocal static var current: HeadlessChromium?

    /// `current`, or a failure that says why there is none.
    static func required(sourceLocation: SourceLocation = #_sourceLocation) throws -> HeadlessChromium {
        guard isInstalled else {
            throw Failure(description: "\(missingText), and the browser tests are required here")
        }
        return try #require(current, "the suite starts Chromium (.sharedChromium)", sourceLocation: sourceLocation)
    }

    /// A JavaScript dialog a page opened.
    struct Dialog: Sendable {
        /// `alert`, `confirm`, `prompt` or `beforeunload`.
        var type: String
        var message: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A JavaScript exception in the page.
    struct ScriptError: Error, CustomStringConvertible {
        var description: String
    }

    /// What the protocol needs between calls: bytes read but not yet a whole message, the last command id, and
    /// per page session its dialogs and how to answer them. Only `send` touches it, holding the lock for the
    /// whole exchange, so one command and its reply never interleave with another's.
    private struct Connection {
        var received: [UInt8] = []
        var lastID = 0
        var dialogs: [String: [Dialog]] = [:]
        var answers: [String: (confirm: Bool, prompt: String?)] = [:]
    }

    private let process = Process()
    private let commands = Pipe()
    private let replies = Pipe()
    private let profile: URL
    private let connection = ArenaLock(Connection())

    /// Starts Chromium and waits for its first reply.
    init() throws {
        // A write to the pipe of a browser that died answers EPIPE instead of killing the test process.
        signal(SIGPIPE, SIG_IGN)
        profile = try TestPaths.temporaryDirectory("arena-chromium")
        let log = profile.appendingPathComponent("chromium.log").path
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", #"exec "$0" "$@" 3<&0 4>&1 </dev/null >"$ARENA_CHROMIUM_LOG" 2>&1"#, Self.path,
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--mute-audio", "--remote-debugging-pipe", "--user-data-dir=\(profile.path)",
            "about:blank",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(["ARENA_CHROMIUM_LOG": log]) { $1 }
        process.standardInput = commands
        process.standardOutput = replies
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: profile)
            throw error
        }
        try? commands.fileHandleForReading.close()
        try? replies.fileHandleForWriting.close()
        try send("Browser.getVersion")
    }

    deinit {
        close()
        try? FileManager.default.removeItem(at: profile)
    }

    /// Asks Chromium to quit and waits (at most 5 s, then SIGKILL) until it has.
    func close() {
        if process.isRunning { _ = try? send("Browser.close", timeout: .seconds(5)) }
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? commands.fileHandleForWriting.close()
        try? replies.fileHandleForReading.close()
    }

    /// Chromium's own output so far (for failure messages).
    var log: String {
        let text = (try? String(contentsOf: profile.appendingPathComponent("chromium.log"), encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    /// A new page (tab) showing `about:blank` at `width` x `height` CSS pixels, scale 1.
    func newPage(width: Int = 1400, height: Int = 800) throws -> Page {
        let target = try #require(try send("Target.createTarget", ["url": "about:blank"])["targetId"]?.string)
        let attached = try send("Target.attachToTarget", ["targetId": target, "flatten": true])
        let session = try #require(attached["sessionId"]?.string, "Target.attachToTarget: \(attached)")
        connection.withLock { $0.answers[session] = (confirm: true, prompt: nil) }
        let page = Page(browser: self, target: target, session: session)
        try page.send("Page.enable")
        try page.send("Runtime.enable")
        try page.send(
            "Emulation.setDeviceMetricsOverride",
            ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
        return page
    }

    /// One page of the browser, for one test. Deinit closes it.
    final class Page {
        let browser: HeadlessChromium
        private let target: String
        private let session: String

        fileprivate init(browser: HeadlessChromium, target: String, session: String) {
            self.browser = browser
            self.target = target
            self.session = session
        }

        deinit {
            _ = try? browser.send("Target.closeTarget", ["targetId": target], timeout: .seconds(5))
            browser.connection.withLock {
                $0.answers[session] = nil
                $0.dialogs[session] = nil
            }
        }

        /// Every dialog the page opened, in order.
        var dialogs: [Dialog] { browser.connection.withLock { $0.dialogs[session] ?? [] } }

        /// Whether a `confirm` is accepted (OK) or cancelled.
        var confirmAnswer: Bool {
            get { browser.connection.withLock { $0.answers[session]?.confirm ?? true } }
            set { browser.connection.withLock { $0.answers[session]?.confirm = newValue } }
        }

        /// What a `prompt` is answered with; nil cancels it.
        var promptAnswer: String? {
            get { browser.connection.withLock { $0.answers[session]?.prompt } }
            set { browser.connection.withLock { $0.answers[session]?.prompt = newValue } }
        }

        @discardableResult
        fileprivate func send(
            _ method: String, _ parameters: [String: Any] = [:], timeout: Duration = .seconds(20)
        )
            throws -> JSON
        {
            try browser.send(method, parameters, session: session, timeout: timeout)
        }

        /// Runs the page in the time zone `identifier` (IANA), whatever the machine's.
        func setTimeZone(_ identifier: String) throws {
            try send("Emulation.setTimezoneOverride", ["timezoneId": identifier])
        }

        /// Loads `url` (returns when the navigation committed; wait for what the page shows with `waitUntil`).
        func open(_ url: String) throws {
            let result = try send("Page.navigate", ["url": url])
            if let error = result["errorText"]?.string { throw Failure(description: "Page.navigate \(url): \(error)") }
        }

        /// The value of the JavaScript `expression` in the page (awaited when it is a promise), as JSON; an
        /// exception throws with its text.
        @discardableResult
        func evaluate(_ expression: String, timeout: Duration = .seconds(20)) throws -> JSON {
            let result = try send(
                "Runtime.evaluate",
                ["expression": expression, "awaitPromise": true, "returnByValue": true], timeout: timeout)
            if let exception = result["exceptionDetails"] {
                throw ScriptError(
                    description: "\(expression): \(exception["exception"]?["description"] ?? exception)")
            }
            return result["result"]?["value"] ?? JSON(value: NSNull())
        }

        /// Evaluates `expression` every 50 ms until its value is truthy and returns it; throws with `what` and the
        /// last value (or exception: the page may not have made what it reads yet) after `timeout`.
        @discardableResult
        func waitUntil(_ expression: String, timeout: Duration = .seconds(10), _ what: String = "") throws -> JSON {
            let deadline = ContinuousClock.now + timeout
            while true {
                var last: String
                do {
                    let value = try evaluate(expression)
                    if HeadlessChromium.isTruthy(value) { return value }
                    last = "\(value)"
                } catch let error as ScriptError {
                    last = error.description
                }
                guard ContinuousClock.now < deadline else {
                    throw Failure(description: "\(what.isEmpty ? expression : what): still \(last) after \(timeout)")
                }
                usleep(50_000)
            }
        }

        /// A PNG of the page's viewport.
        func screenshot() throws -> Data {
            let data = try #require(try send("Page.captureScreenshot", ["format": "png"])["data"]?.string)
            return try #require(Data(base64Encoded: data), "Page.captureScreenshot: not base64")
        }
    }

    // MARK: - The protocol

    /// Sends `method` (to a page's `session`, or to the browser) and reads until its reply, answering the dialogs
    /// that open meanwhile; throws on a protocol error, or when no reply came within `timeout`.
    @discardableResult
    private func send(
        _ method: String, _ parameters: [String: Any] = [:], session: String? = nil, timeout: Duration = .seconds(20)
    ) throws -> JSON {
        // Encoded before the lock: [String: Any] is not Sendable, its JSON text is.
        let encoded = try Self.json(parameters)
        return try connection.withLock { connection in
            connection.lastID += 1
            let id = connection.lastID
            try write(Self.message(id: id, method, encoded, session: session))
            let deadline = ContinuousClock.now + timeout
            while true {
                let reply = try readMessage(&connection, until: deadline, waitingFor: method)
                if reply["method"]?.string == "Page.javascriptDialogOpening", let opened = reply["sessionId"]?.string {
                    let dialog = Dialog(
                        type: reply["params"]?["type"]?.string ?? "", message: reply["params"]?["message"]?.string ?? ""
                    )
                    try answer(dialog, session: opened, &connection)
                }
                guard reply["id"]?.int == id else { continue }
                if let error = reply["error"] { throw Failure(description: "\(method): \(error)") }
                return reply["result"] ?? JSON(value: [String: Any]())
            }
        }
    }

    /// The page waits for the answer (a `confirm` blocks its script), so it is sent at once, its reply not awaited.
    private func answer(_ dialog: Dialog, session: String, _ connection: inout Connection) throws {
        connection.dialogs[session, default: []].append(dialog)
        let answers = connection.answers[session] ?? (confirm: true, prompt: nil)
        var parameters: [String: Any] = ["accept": dialog.type == "confirm" ? answers.confirm : true]
        if dialog.type == "prompt" {
            parameters["accept"] = answers.prompt != nil
            parameters["promptText"] = answers.prompt ?? ""
        }
        connection.lastID += 1
        let encoded = try Self.json(parameters)
        try write(Self.message(id: connection.lastID, "Page.handleJavaScriptDialog", encoded, session: session))
    }

    private static func json(_ value: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
    }

    /// `{"id":..,"method":..,"sessionId":..,"params":..}` and the NUL that ends it (method and session need no
    /// escaping: protocol names and Chromium's hexadecimal ids).
    private static func message(id: Int, _ method: String, _ parameters: String, session: String?) -> [UInt8] {
        let session = session.map { #","sessionId":"\#($0)""# } ?? ""
        return Array(#"{"id":\#(id),"method":"\#(method)"\#(session),"params":\#(parameters)}"#.utf8) + [0]
    }

    private func write(_ bytes: [UInt8]) throws {
        let fd = commands.fileHandleForWriting.fileDescriptor
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw Failure(description: "writing to chromium: errno \(errno); chromium log:\n\(log)")
            }
            written += count
        }
    }

    /// The next NUL-terminated message, reading from the pipe as needed until `deadline`.
    private func readMessage(
        _ connection: inout Connection, until deadline: ContinuousClock.Instant, waitingFor method: String
    ) throws -> JSON {
        let fd = replies.fileHandleForReading.fileDescriptor
        while true {
            if let end = connection.received.firstIndex(of: 0) {
                let message = Array(connection.received[..<end])
                connection.received.removeSubrange(...end)
                return try JSON.parse(message)
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw Failure(description: "no reply to \(method) in time; chromium log:\n\(log)")
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1000 + 1, 60_000))
            guard poll(&poller, 1, milliseconds) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw Failure(description: "chromium closed the pipe during \(method); log:\n\(log)")
            }
            connection.received.append(contentsOf: chunk[..<count])
        }
    }

    /// JavaScript's truthiness for the values `returnByValue` gives.
    static func isTruthy(_ json: JSON) -> Bool {
        switch json.value {
        case is NSNull: false
        case let bool as Bool: bool
        case let number as NSNumber: number.doubleValue != 0 && !number.doubleValue.isNaN
        case let string as String: !string.isEmpty
        default: true
        }
    }
}

/// One Chromium for a whole suite, as `HeadlessChromium.current` (each test opens its own page in it): a
/// browser starts in seconds on a busy machine, a page in milliseconds. Closed when the suite ends. Without
/// Chromium installed the suite runs without one: its browser tests are skipped (`HeadlessChromium.shouldRun`) or,
/// where Chromium is required, fail at `HeadlessChromium.required()`.
struct SharedChromium: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard HeadlessChromium.isInstalled else { return try await function() }
        let browser = try HeadlessChromium()
        defer { browser.close() }
        try await HeadlessChromium.$current.withValue(browser) { try await function() }
    }
}

extension Trait where Self == SharedChromium {
    /// Starts one headless Chromium for the suite: `HeadlessChromium.current`.
    static var sharedChromium: Self { SharedChromium() }
}
