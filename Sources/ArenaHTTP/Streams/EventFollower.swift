import ArenaCore
import Synchronization

/// One `?follow=1` reader of the event stream: first the backlog after `since`, then each new event, as text
/// lines or NDJSON. It reads the trace rings (it never blocks an allocating thread), tells the reader how many
/// events it missed when the rings overwrote them first, and sends a heartbeat when idle so a dead client is
/// noticed. `EventHub` wakes it when there is something to send.
final class EventFollower: HTTPBodyStream, @unchecked Sendable {
    // @unchecked: mutable state lives in `state` (a Mutex); `wake` is set once in `start` before any reader or
    // the hub can use it, under the same mutex.

    enum Format { case text, ndjson }

    /// Which arenas: one by name (the stream ends when it is removed), or every traced arena (new ones too).
    enum Scope {
        case arena(String)
        case all
    }

    private struct State {
        var cursor: EventCursor
        var pending: [UInt8] = []
        var sent = 0
        var lastWrite: UInt64
        /// Set by `end()`, or once the followed arena is gone: one more `fill`, then the body ends.
        var ending = false
        /// The last `fill` after `ending` has run, so a read that finds nothing pending ends the body.
        var finalFillDone = false
        var ended = false
        /// Resumes this stream's connection; set by `start`. A class reference, never a bare closure: a closure
        /// read out of a `Mutex` is re-abstracted and written back wrapped in more thunks on every read.
        var waiter: TraceWaiter?
    }

    let scope: Scope
    let format: Format
    let heartbeatNanoseconds: UInt64
    private let registry: ArenaRegistry
    private let state: ArenaLock<State>

    init(registry: ArenaRegistry, scope: Scope, format: Format, cursor: EventCursor, heartbeatSeconds: Int) {
        self.registry = registry
        self.scope = scope
        self.format = format
        self.heartbeatNanoseconds = UInt64(heartbeatSeconds) * 1_000_000_000
        self.state = ArenaLock(State(cursor: cursor, lastWrite: WallClock.now()))
    }

    func start(wake: @escaping @Sendable () -> Void) {
        let waiter = TraceWaiter(wake)
        state.withLock { $0.waiter = waiter }
    }

    /// The arenas followed now, with their rings.
    private func arenas() -> [RegisteredArena]? {
        switch scope {
        case .arena(let name):
            guard let entry = registry.arena(named: name) else { return nil }
            return [entry]
        case .all:
            return registry.arenas().filter { $0.arena.trace != nil }
        }
    }

    /// Whether a `read` now would send something: new events, a heartbeat that is due, or the end.
    func hasWork(now: UInt64) -> Bool {
        state.withLock { state in
            if state.ended { return false }
            if state.ending || state.sent < state.pending.count { return true }
            if now >= state.lastWrite + heartbeatNanoseconds { return true }
            guard let arenas = arenas() else { return true }  // the followed arena is gone: end the stream
            return arenas.contains { entry in
                guard let ring = entry.arena.trace else { return false }
                return ring.lastSequence > position(state.cursor, entry.name, ring)
            }
        }
    }

    /// Asks the stream to end after what it has (server shutdown), and wakes it to do so.
    func end() {
        let waiter = state.withLock { state in
            state.ending = true
            return state.waiter
        }
        waiter?.wake()
    }

    /// Resumes this stream's connection (if it has started).
    func wake() {
        let waiter = state.withLock { $0.waiter }
        waiter?.wake()
    }

    var isFinished: Bool { state.withLock { $0.ended } }

    func next(max: Int) -> HTTPBodyChunk {
        state.withLock { state in
            if state.sent == state.pending.count {
                state.pending.removeAll(keepingCapacity: true)
                state.sent = 0
                fill(&state)
            }
            let available = state.pending.count - state.sent
            if available == 0 {
                if state.ending || state.ended { return .end }
                waitForEvents(state)
                return .idle
            }
            let count = min(available, max)
            let chunk = Array(state.pending[state.sent..<(state.sent + count)])
            state.sent += count
            state.lastWrite = WallClock.now()
            return .data(chunk)
        }
    }

    func finish() {
        state.withLock { state in
            state.ended = true
            state.waiter = nil
            state.pending = []
        }
    }

    /// Events one fill reads at most (over all followed arenas).
    static let eventsPerFill = 4096

    /// Asks each followed ring to wake this stream at its next event, so the stream sleeps instead of polling
    /// and is resumed as soon as there is something to send (the hub's slow poll covers heartbeats, arenas that
    /// appear or go away, and a wake that came too late).
    private func waitForEvents(_ state: State) {
        guard let waiter = state.waiter, let arenas = arenas() else { return }
        for entry in arenas {
            guard let ring = entry.arena.trace else { continue }
            ring.notify(after: position(state.cursor, entry.name, ring), waiter)
        }
    }

    /// Where to continue in an arena's ring. Following one arena, `since` is taken as given (as in a plain
    /// events request); following all, a position past the ring's newest event restarts it (see `EventCursor`).
    private func position(_ cursor: EventCursor, _ arena: String, _ ring: TraceRing) -> UInt64 {
        if case .all = scope { return cursor.position(of: arena, in: ring) }
        return cursor.position(of: arena)
    }

    /// Appends new events (at most a few thousand per call), a missed-events note, a heartbeat, or nothing.
    private func fill(_ state: inout State) {
        // An ending stream gets one last batch and no more: otherwise a removed arena's note would be appended
        // again on every read (forever, at full speed), and a stream ended under steady traffic would never run dry.
        if state.ending {
            guard !state.finalFillDone else { return }
            state.finalFillDone = true
        }
        guard let arenas = arenas() else {
            if case .arena(let name) = scope { appendNote(&state, "arena \(name) was removed", type: "end") }
            state.ending = true
            state.finalFillDone = true
            return
        }
        let prefixed: Bool = if case .all = scope { true } else { false }
        // Missed notes first, then the new events of all followed arenas in time order (as `GET /events`).
        let restart: Bool = if case .all = scope { true } else { false }
        var items: [EventMerge.Item] = []
        let missed = EventMerge.merge(
            arenas, after: &state.cursor, limit: Self.eventsPerFill, restartPastNewest: restart
        ) {
            items.append($0)
            return true
        }
        for (arena, count) in missed { appendMissed(&state, arena: arena, count: count) }
        for item in items { append(&state, item, prefixed: prefixed) }
        if state.pending.isEmpty, !state.ending, WallClock.now() >= state.lastWrite + heartbeatNanoseconds {
            appendNote(&state, "heartbeat", type: "heartbeat")
        }
    }

    private func append(_ state: inout State, _ item: EventMerge.Item, prefixed: Bool) {
        switch format {
        case .text:
            EventMerge.appendText(item, prefixed: prefixed, to: &state.pending)
        case .ndjson:
            var json = JSONWriter(reservingCapacity: 240)
            ArenaJSON.write(item.event, arena: item.arena, type: "event", to: &json)
            state.pending.append(contentsOf: json.finished())
            state.pending.append(UInt8(ascii: "\n"))
        }
    }

    private func appendMissed(_ state: inout State, arena: String, count: UInt64) {
        switch format {
        case .text:
            state.pending.append(contentsOf: "# \(arena): missed \(count) events (overwritten in the ring)\n".utf8)
        case .ndjson:
            var json = JSONWriter()
            json.object { json in
                json.field("type", "missed")
                json.field("arena", arena)
                json.field("count", count)
            }
            state.pending.append(contentsOf: json.finished())
            state.pending.append(UInt8(ascii: "\n"))
        }
    }

    private func appendNote(_ state: inout State, _ text: String, type: String) {
        switch format {
        case .text:
            state.pending.append(contentsOf: "# \(text)\n".utf8)
        case .ndjson:
            var json = JSONWriter()
            json.object { json in
                json.field("type", type)
                json.field("text", text)
                json.field("time_unix_ns", WallClock.now())
            }
            state.pending.append(contentsOf: json.finished())
            state.pending.append(UInt8(ascii: "\n"))
        }
    }
}
