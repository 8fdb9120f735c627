import CHTTPD
import Synchronization

/// The connections the server has suspended (`MHD_suspend_connection`), so that `stop()` can resume them all.
///
/// libmicrohttpd aborts the process in `MHD_stop_daemon` if any connection is still suspended: every suspension
/// (an idle live event stream, see `StreamContext`) goes through `suspend(_:)` here, so `stop()` can resume them
/// all first.
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
        /// Set by `resumeAll()`: the server is stopping and no connection may be suspended any more.
        var closed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Number of connections currently suspended.
    var count: Int { state.withLock { $0.connections.count } }

    /// Suspends `connection`, unless the server is stopping. Call only from the access handler, on the
    /// connection's thread, as libmicrohttpd requires. Returns false (and does nothing) when stopping.
    func suspend(_ connection: OpaquePointer) -> Bool {
        let handle = Handle(connection: connection)
        return state.withLock { state in
            guard !state.closed else { return false }
            // Inside the lock, so that resumeAll() cannot run between the check and the insert.
            MHD_suspend_connection(handle.connection)
            state.connections.insert(handle)
            return true
        }
    }

    /// Resumes `connection` if it is suspended here; from any thread. Returns false if it was not.
    @discardableResult
    func resume(_ connection: OpaquePointer) -> Bool {
        let handle = Handle(connection: connection)
        return state.withLock { state in
            guard state.connections.remove(handle) != nil else { return false }
            MHD_resume_connection(handle.connection)
            return true
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
        }
    }
}
