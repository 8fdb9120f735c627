/// A response body produced while it is sent, with chunked encoding: a live event stream.
///
/// The server asks for bytes whenever the socket can take more. A stream with nothing to send answers `.idle`:
/// the server then suspends the connection (`MHD_suspend_connection`, so an idle reader costs no worker time)
/// until the stream calls the `wake` function it was given. `finish()` is called once when the connection is
/// done (the stream ended, the client went away, or the server stopped).
///
/// `read` runs on a worker thread; `wake` may be called from any thread, any number of times.
protocol ResponseStream: AnyObject, Sendable {
    /// Hands over the function that resumes the suspended connection. Called once, before the first `read`.
    func start(wake: @escaping @Sendable () -> Void)
    /// Writes up to `buffer.count` bytes into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> StreamRead
    /// The connection is over; release what the stream holds.
    func finish()
}

/// What `ResponseStream.read` produced.
enum StreamRead: Equatable {
    /// This many bytes were written into the buffer (more than zero).
    case data(Int)
    /// Nothing to send now: suspend until `wake`.
    case idle
    /// The body is complete.
    case end
}
