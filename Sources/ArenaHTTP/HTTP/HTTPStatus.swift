/// An HTTP status code. libmicrohttpd writes the reason phrase itself.
///
/// ```swift
/// HTTPResponse.text("gone\n", status: .notFound)
/// ```
struct HTTPStatus: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The three-digit code, 100...999.
    let code: UInt16

    /// Wraps a code; codes outside 100...999 are API misuse (libmicrohttpd would refuse to send them).
    init(code: UInt16) {
        precondition((100...999).contains(code), "HTTP status codes have three digits, got \(code)")
        self.code = code
    }

    init(integerLiteral value: UInt16) {
        self.init(code: value)
    }

    var description: String { String(code) }

    static let ok: HTTPStatus = 200
    static let created: HTTPStatus = 201
    static let noContent: HTTPStatus = 204
    static let badRequest: HTTPStatus = 400
    static let unauthorized: HTTPStatus = 401
    static let forbidden: HTTPStatus = 403
    static let notFound: HTTPStatus = 404
    static let methodNotAllowed: HTTPStatus = 405
    static let requestTimeout: HTTPStatus = 408
    static let conflict: HTTPStatus = 409
    static let gone: HTTPStatus = 410
    static let payloadTooLarge: HTTPStatus = 413
    static let unsupportedMediaType: HTTPStatus = 415
    static let misdirectedRequest: HTTPStatus = 421
    static let unprocessableContent: HTTPStatus = 422
    static let tooManyRequests: HTTPStatus = 429
    static let internalServerError: HTTPStatus = 500
    static let notImplemented: HTTPStatus = 501
    static let serviceUnavailable: HTTPStatus = 503
    static let insufficientStorage: HTTPStatus = 507
}
