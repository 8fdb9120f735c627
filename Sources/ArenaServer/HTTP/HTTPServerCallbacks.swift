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
