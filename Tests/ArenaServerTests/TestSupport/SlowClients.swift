import ArenaCore
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A slowloris attack: `count` connections from `source`, each sending `opening` at once and then one byte of
/// `drip` every `interval`, so that no request ever completes. A connection the server closes is opened again
/// in the next round, so the pressure stays. Runs on a thread of its own from `init` until `stop()` (or deinit).
///
/// ```swift
/// let attack = try SlowClients(
///     port: port, count: 32, from: "127.0.0.2", opening: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",
///     drip: "X-Slow: a\r\n", interval: .milliseconds(300))
/// _ = eventually { attack.tally.rounds >= 2 }
/// attack.stop()
/// attack.tally.closedByServer    // connections the server ended to make room or at a deadline
/// ```
final class SlowClients: Sendable {
    /// What the attack saw so far.
    struct Tally: Sendable {
        /// Connections opened, reopenings included.
        var opened = 0
        /// Connections the server closed (or reset).
        var closedByServer = 0
        /// What the server wrote on each connection it closed, when it wrote anything.
        var answers: [String] = []
        /// Rounds of one byte to every connection.
        var rounds = 0
    }

    private let state = ArenaLock(Tally())
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    var tally: Tally { state.withLock { $0 } }

    init(
        port: UInt16, count: Int, from source: String, opening: String, drip: String, interval: Duration
    ) {
        let thread = Thread { [self] in
            attack(
                port: port, count: count, source: source, opening: Array(opening.utf8), drip: Array(drip.utf8),
                interval: interval)
            finished.signal()
        }
        thread.start()
    }

    deinit { stop() }

    /// Ends the attack and closes its connections; waits for its thread.
    func stop() {
        guard running.exchange(false, ordering: .sequentiallyConsistent) else { return }
        finished.wait()
    }

    private func attack(
        port: UInt16, count: Int, source: String, opening: [UInt8], drip: [UInt8], interval: Duration
    ) {
        var connections = [RawHTTPConnection?](repeating: nil, count: count)
        var received = [[UInt8]](repeating: [], count: count)
        var sent = [Int](repeating: 0, count: count)
        let pause =
            UInt32(interval.components.attoseconds / 1_000_000_000_000)
            + UInt32(interval.components.seconds) * 1_000_000
        while running.load(ordering: .sequentiallyConsistent) {
            for slot in 0..<count {
                guard let connection = connections[slot] else {
                    connections[slot] = try? RawHTTPConnection(port: port, timeoutSeconds: 1, from: source)
                    try? connections[slot]?.send(opening)
                    received[slot] = []
                    sent[slot] = 0
                    state.withLock { $0.opened += 1 }
                    continue
                }
                var closed = Self.drain(connection.socketFD, into: &received[slot])
                if !closed {
                    var byte = drip[sent[slot] % drip.count]
                    let written = send(connection.socketFD, &byte, 1, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                    closed = written < 0 && errno != EAGAIN
                    sent[slot] += 1
                }
                if closed {
                    let answer = String(decoding: received[slot], as: UTF8.self)
                    state.withLock {
                        $0.closedByServer += 1
                        if !answer.isEmpty { $0.answers.append(answer) }
                    }
                    connections[slot] = nil
                }
            }
            state.withLock { $0.rounds += 1 }
            // The attack's own pace (one byte per connection per interval), not a wait for a condition.
            usleep(pause)
        }
    }

    /// Reads what has arrived without blocking; true when the server closed the connection.
    private static func drain(_ socket: Int32, into bytes: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                bytes.append(contentsOf: chunk[0..<count])
            } else {
                return count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
            }
        }
    }
}

/// A request on a new connection from 127.0.0.1, timed from before the connect to the end of the response.
func timedRequest(_ request: String, port: UInt16) throws -> (response: RawHTTPConnection.Response, time: Duration) {
    let start = ContinuousClock.now
    let connection = try RawHTTPConnection(port: port, timeoutSeconds: 5)
    try connection.send(request)
    let response = try connection.readResponse()
    return (response, ContinuousClock.now - start)
}

extension Duration {
    /// Whole and fractional milliseconds, for messages and printed figures.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
