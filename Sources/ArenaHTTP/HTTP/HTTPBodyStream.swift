/// A response body produced while it is sent, with chunked encoding: a live event stream.
///
/// The server asks for the next chunk whenever the socket can take more. A stream with nothing to send answers
/// `.idle`: the server then suspends the connection (an idle reader costs no worker time) until the stream calls
/// the `wake` function it was given. `finish()` is called once when the connection is done (the stream ended, the
/// client went away, or the server stopped).
///
/// `next` runs on a worker thread; `wake` may be called from any thread, any number of times.
protocol HTTPBodyStream: AnyObject, Sendable {
    /// Hands over the function that resumes the suspended connection. Called once, before the first `next`.
    func start(wake: @escaping @Sendable () -> Void)
    /// The next bytes to send, at most `max` of them.
    func next(max: Int) -> HTTPBodyChunk
    /// The connection is over; release what the stream holds.
    func finish()
}

/// What `HTTPBodyStream.next(max:)` produced.
enum HTTPBodyChunk: Equatable, Sendable {
    /// Bytes to send now: more than zero, at most the `max` asked for.
    case data([UInt8])
    /// Nothing to send now: suspend until `wake`.
    case idle
    /// The body is complete.
    case end
}
