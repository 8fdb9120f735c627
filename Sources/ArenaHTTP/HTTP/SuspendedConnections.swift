import ArenaCore
import CHTTPD
import Synchronization

/// The connections the server has suspended (`MHD_suspend_connection`), so that a stream's wake resumes them and
/// `stop()` can resume them all.
///
/// libmicrohttpd aborts the process in `MHD_stop_daemon` if any connection is still suspended: every suspension
/// (an idle live event stream, see `StreamContext`) goes through `suspend(_:)` here. A wake that arrives while the
/// stream is still deciding to suspend (between finding nothing to send and suspending) is kept, and the
/// suspension is then skipped: no wake is lost, so a follower never sleeps through events that arrived.
final class SuspendedConnections: Sendable {
    /// A libmicrohttpd connection handle, as a set element.
    ///
    /// @unchecked: the pointer is never dereferenced in Swift; it is only handed to MHD_resume_connection, which
    /// libmicrohttpd allows from any thread.
    private struct Handle: Hashable, @unchecked Sendable {
        let connection: OpaquePointer
    }

    private struct State {
        /// Connections currently suspended.
        var connections: Set<Handle> = []
        /// Connections woken while they were not suspended: their next suspension is skipped.
        var pendingWakes: Set<Handle> = []
        /// Set by `resumeAll()`: the server is stopping and no connection may be suspended any more.
        var closed = false
    }

    /// What `suspend(_:)` did.
    enum Suspension {
        case suspended
        /// A wake came first: look for something to send again instead.
        case wokenAlready
        /// The server is stopping: end the body.
        case stopping
    }

    private let state = ArenaLock(State())

    init() {}

    /// Number of connections currently suspended.
    var count: Int { state.withLock { $0.connections.count } }

    /// Suspends `connection`, unless a wake is pending or the server is stopping. Call only from the content
    /// reader, on the connection's thread, as libmicrohttpd requires.
    func suspend(_ connection: OpaquePointer) -> Suspension {
        let handle = Handle(connection: connection)
        return state.withLock { state in
            guard !state.closed else { return .stopping }
            if state.pendingWakes.remove(handle) != nil { return .wokenAlready }
            // Inside the lock, so that resumeAll() cannot run between the check and the insert.
            MHD_suspend_connection(handle.connection)
            state.connections.insert(handle)
            return .suspended
        }
    }

    /// Resumes `connection` if it is suspended here, or makes its next suspension be skipped; from any thread.
    func wake(_ connection: OpaquePointer) {
        let handle = Handle(connection: connection)
        state.withLock { state in
            if state.connections.remove(handle) != nil {
                MHD_resume_connection(handle.connection)
            } else if !state.closed {
                state.pendingWakes.insert(handle)
            }
        }
    }

    /// The stream on `connection` is over: forget a pending wake (the handle may be reused by a new connection).
    func forget(_ connection: OpaquePointer) {
        let handle = Handle(connection: connection)
        state.withLock { state in
            state.pendingWakes.remove(handle)
            state.connections.remove(handle)
        }
    }

    /// Resumes every suspended connection and refuses later suspensions. Called by `HTTPServer.stop()` before
    /// `MHD_stop_daemon`.
    func resumeAll() {
        state.withLock { state in
            state.closed = true
            for handle in state.connections {
                MHD_resume_connection(handle.connection)
            }
            state.connections.removeAll()
            state.pendingWakes.removeAll()
        }
    }
}
