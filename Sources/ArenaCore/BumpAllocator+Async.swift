extension BumpAllocator {
    /// Runs the asynchronous `body` and rewinds to the position before it when `body` returns or throws, after
    /// every `await` in it: everything `body` allocated is released.
    ///
    /// ```swift
    /// func handle(_ request: Request, scratch: LocalArena) async throws -> Response {
    ///     try await scratch.withCheckpoint {
    ///         let header = try scratch.copy(request.path)        // released when the scope ends
    ///         let body = try await request.readBody()             // the scope stays open across the await
    ///         return Response(path: header.description, bytes: body.count)
    ///     }
    /// }
    /// ```
    ///
    /// The scope runs on the caller's actor (`isolation` defaults to `#isolation`), so a `LocalArena`, which is
    /// not `Sendable`, never leaves the task's isolation: the call compiles without Sendable diagnostics for
    /// both arena kinds, from an actor, the main actor or a nonisolated async function.
    ///
    /// While `body` is suspended, other code may allocate from the same arena (another task sharing a
    /// `BumpArena`); the rewind at the end releases what they allocated after the scope's start too. Give each
    /// task its own arena (or its own `RegisteredArena` scope) when scopes interleave. As with the synchronous
    /// `withCheckpoint(_:)`, scopes nest, and when `body` resets the arena or rewinds past the scope's start the
    /// exit rewind does nothing. Return values that own their memory (a `String`, not an `ArenaString` of the
    /// scope): what `body` allocated is gone once it returns.
    @inlinable
    public func withCheckpoint<Result, Failure: Error>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        let start = checkpoint()
        defer { _ = try? rewind(to: start) }
        return try await body()
    }
}
