/// A rendered response body that libmicrohttpd sends from where it was written: `OutputBytes` hands its buffer
/// over (`takeResponseBytes()`), and `HTTPServer.queue` lends it to libmicrohttpd, which releases it with the
/// response. Before, a body was copied twice after rendering (into a `[UInt8]`, then into libmicrohttpd's own
/// buffer): at 10,000 arenas `GET /arenas` copied 5.9 MB twice per request (docs/PERFORMANCE.md).
///
/// Immutable once made, so it is shared across threads without a lock.
final class ResponseBytes: @unchecked Sendable {
    /// `count` initialized bytes allocated by `UnsafeMutablePointer<UInt8>.allocate`; owned here, freed in
    /// `deinit`, never written after `init`. Invariant: count >= 0, and base holds at least `count` bytes.
    let base: UnsafeMutablePointer<UInt8>
    let count: Int

    /// Takes ownership of `base`, whose first `count` bytes are initialized.
    init(adopting base: UnsafeMutablePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    deinit { base.deallocate() }

    /// A copy of the bytes (for tests and the watchdog's raw responses, not the send path).
    var array: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
}
