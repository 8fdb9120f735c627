import CArenaSanitizer
import Synchronization

/// A `Mutex` that ThreadSanitizer can see: the lock of every table in ArenaCore and the server.
///
/// `Synchronization.Mutex` locks with atomics and `futex(2)`; TSan intercepts neither, so on this toolchain it
/// reports every access a `Mutex` protects as a data race (a two-thread program that only ever reads and writes
/// under the lock is reported too). Those reports would hide a real race. `ArenaLock` is that `Mutex`, plus an
/// acquire annotation after it locks and a release annotation before it unlocks, both on the protected value's
/// address, so TSan orders the critical sections as the lock does. Outside TSan builds (which define
/// `ARENA_SANITIZE_THREAD` for C, see `CArenaSanitizer/shim.h`) both annotations are empty inline functions and
/// `withLock` compiles to `Mutex.withLock`.
///
/// An access outside the lock is still reported: the annotations order only what happens inside `withLock`.
///
/// Public, not `package`: this toolchain does not specialize a `package` `@inlinable` generic in another module,
/// so each of the server's locks went through the unspecialized `withLock` and `Mutex`'s metadata accessor (72
/// call sites, about 900 instructions a lock and unlock on a request's path; 0 call sites once public). Programs
/// that embed ArenaCore may use it as they would `Mutex`.
public struct ArenaLock<Value: ~Copyable>: ~Copyable, Sendable {
    @usableFromInline
    let mutex: Mutex<Value>

    @inlinable
    public init(_ initialValue: consuming sending Value) {
        mutex = Mutex(initialValue)
    }

    /// Runs `body` with the value, holding the lock; as `Mutex.withLock`.
    @inlinable
    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // Safe: the address is only an identity for TSan's happens-before bookkeeping; nothing reads or writes
        // through it. It is the Mutex's own (address-only, never moved) storage, the same for every thread, and
        // taking it is no access to the value (taking `&value` would be one, before the acquire).
        let address = withUnsafePointer(to: mutex) { UnsafeMutableRawPointer(mutating: $0) }
        return try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            arena_sanitizer_acquire(address)
            defer { arena_sanitizer_release(address) }
            return try body(&value)
        }
    }
}
