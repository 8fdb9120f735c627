import ArenaHTTP
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Start-up and shutdown of the daemon: serve, wait for a signal, stop.
enum Daemon {
    /// Runs until SIGINT or SIGTERM, then stops gracefully and returns.
    ///
    /// Logs `version 0.2.0 (revision R, Swift S)` and `listening on http://HOST:PORT` (notices) and, when port 0
    /// was asked for, prints `port=N` to standard output (flushed at once, for tests and scripts that wait for it).
    static func run(_ server: ArenaHTTPServer, log: ServerLog) throws(HTTPServerError) {
        // Handlers first: a signal that arrives while the server starts must still stop it cleanly.
        let termination = TerminationSignals()
        try server.start()
        // Safe to force: start() succeeded, so the server is running and knows its port.
        let port = server.port!
        log.notice("version \(ArenaHTTPServer.versionLine)")
        log.notice("listening on http://\(server.configuration.listen.host):\(port)")
        if server.configuration.listen.port == 0 {
            writeLine("port=\(port)", to: STDOUT_FILENO)
        }
        let signal = termination.wait()
        log.notice("received \(signal == SIGINT ? "SIGINT" : "SIGTERM"), stopping")
        server.stop()
        log.notice("stopped")
    }

    /// One unbuffered write of `text` and a newline (print's buffering would hold `port=` back from a pipe).
    static func writeLine(_ text: String, to fileDescriptor: Int32) {
        var line = "\(text)\n"
        line.withUTF8 { bytes in
            _ = write(fileDescriptor, bytes.baseAddress, bytes.count)
        }
    }
}

/// Catches SIGINT and SIGTERM with dispatch sources, so that no C signal handler runs Swift code.
final class TerminationSignals {
    /// What the signal handlers share with `wait()`.
    private final class Caught: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        let signalNumber = Atomic<Int32>(0)
    }

    private let caught = Caught()
    private let sources: [any DispatchSourceSignal]

    /// Starts catching. The default actions are replaced by SIG_IGN first, as dispatch sources require;
    /// SIGPIPE is ignored too, so a client that goes away cannot kill the daemon, and so is SIGHUP (a closed
    /// terminal or a `kill -HUP` meant as "reload": the daemon has nothing to reload, and must not die of it).
    init() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            sources.append(source)
        }
        self.sources = sources
        for (number, source) in zip([SIGINT, SIGTERM], sources) {
            source.setEventHandler { @Sendable [caught] in
                caught.signalNumber.store(number, ordering: .sequentiallyConsistent)
                caught.semaphore.signal()
            }
            source.resume()
        }
    }

    /// Blocks until SIGINT or SIGTERM arrives; returns which.
    func wait() -> Int32 {
        caught.semaphore.wait()
        for source in sources { source.cancel() }
        return caught.signalNumber.load(ordering: .sequentiallyConsistent)
    }
}
