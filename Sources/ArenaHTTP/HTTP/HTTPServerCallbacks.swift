import CHTTPD

// The C entry points libmicrohttpd calls. They stay thin: recover the server from the context pointer and
// forward. They are file-scope functions, not closures, so they carry no actor isolation (a closure written in
// main.swift would be @MainActor and trap on a worker thread).

/// The URI-log callback (MHD_OPTION_URI_LOG_CALLBACK): the request line arrived; `uri` is the target exactly as
/// sent. Its result becomes the request's `*req_cls`.
func httpServerRequestLine(
    cls: UnsafeMutableRawPointer?, uri: UnsafePointer<CChar>?, connection: OpaquePointer?
) -> UnsafeMutableRawPointer? {
    guard let cls else { return nil }
    // Safe: as in httpServerAccessHandler.
    return Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        server.beginRequest(target: uri)
    }
}

/// MHD_AccessHandlerCallback, called on a worker thread several times per request: first when the headers are
/// parsed (`*req_cls` is the state made by the URI-log callback), then once per chunk of body with
/// `*upload_data_size > 0`, finally with `*upload_data_size == 0` when the request is complete. `url` is the
/// target libmicrohttpd percent-decoded in place: not used, the raw target was parsed already.
func httpServerAccessHandler(
    cls: UnsafeMutableRawPointer?,
    connection: OpaquePointer?,
    url: UnsafePointer<CChar>?,
    method: UnsafePointer<CChar>?,
    version: UnsafePointer<CChar>?,
    uploadData: UnsafePointer<CChar>?,
    uploadDataSize: UnsafeMutablePointer<Int>?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let method, let uploadDataSize, let requestContext else {
        return .NO
    }
    // Safe: cls is the reference HTTPServer.start() retained for the daemon; it is released only after
    // MHD_stop_daemon has joined every worker thread. The guaranteed reference skips a contended retain/release.
    return Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        server.handleAccess(
            connection: connection, method: method, uploadData: uploadData,
            uploadDataSize: uploadDataSize, requestContext: requestContext)
    }
}

/// MHD_RequestCompletedCallback: frees the request's state, whether it was answered or aborted.
func httpServerRequestCompleted(
    cls: UnsafeMutableRawPointer?,
    connection: OpaquePointer?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    termination: MHD_RequestTerminationCode
) {
    guard let cls, let requestContext else { return }
    // Safe: as in httpServerAccessHandler.
    Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        server.requestCompleted(requestContext: requestContext)
    }
}

/// MHD_ContentReaderCallback of a streaming response: the next bytes, 0 after suspending the connection while
/// the stream is idle, or MHD_CONTENT_READER_END_OF_STREAM.
func httpServerStreamRead(
    cls: UnsafeMutableRawPointer?, position: UInt64, buffer: UnsafeMutablePointer<CChar>?, max: Int
) -> Int {
    guard let cls, let buffer else { return StreamContext.endWithError }
    // Safe: cls is the StreamContext retained by HTTPServer.queue; it is released by httpServerStreamFree, which
    // libmicrohttpd calls after the last read.
    return Unmanaged<StreamContext>.fromOpaque(cls)._withUnsafeGuaranteedRef { context in
        context.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: max))
    }
}

/// MHD_ContentReaderFreeCallback of a streaming response: the response is destroyed.
func httpServerStreamFree(cls: UnsafeMutableRawPointer?) {
    guard let cls else { return }
    // Safe: balances the passRetained in HTTPServer.queue; libmicrohttpd calls this once per response.
    let context = Unmanaged<StreamContext>.fromOpaque(cls).takeRetainedValue()
    context.stream.finish()
}
