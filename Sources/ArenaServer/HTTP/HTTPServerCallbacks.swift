import CHTTPD

// The C entry points libmicrohttpd calls. They stay thin: recover the server from the context pointer and
// forward. They are file-scope functions, not closures, so they carry no actor isolation (a closure written in
// main.swift would be @MainActor and trap on a worker thread).

/// MHD_AccessHandlerCallback, called on a worker thread several times per request:
/// first with `*req_cls == NULL` (headers parsed), then once per chunk of body with `*upload_data_size > 0`,
/// finally with `*upload_data_size == 0` when the request is complete.
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
    guard let cls, let connection, let url, let method, let uploadDataSize, let requestContext else {
        return .NO
    }
    // Safe: cls is the reference HTTPServer.start() retained for the daemon; it is released only after
    // MHD_stop_daemon has joined every worker thread. The guaranteed reference skips a contended retain/release.
    return Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        server.handleAccess(connection: connection, url: url, method: method, uploadData: uploadData,
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
