import Foundation
import Testing

@testable import ArenaHTTP

@Suite struct HTTPPrimitivesTests {
    @Test func headerLookupIgnoresASCIICase() {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "X-Multi", value: "1")
        headers.add(name: "x-multi", value: "2")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["CONTENT-TYPE"] == "text/plain")
        #expect(headers["Content-Typ"] == nil)
        #expect(headers["Content-Typf"] == nil)
        #expect(headers.values(for: "X-MULTI") == ["1", "2"])
        headers.replace(name: "x-Multi", value: "3")
        #expect(headers.values(for: "x-multi") == ["3"])
        #expect(headers.count == 2)
    }

    @Test func errorResponseIsEscapedJSON() throws {
        let message = "quote \" backslash \\ newline \n tab \t bell \u{07} é"
        let bytes = ErrorJSON.render(code: "bad_input", message: message) { $0.field("used", 16) }
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"error":"bad_input","message":"quote \" backslash \\ newline \n tab \t bell \u0007 é","used":16}"#
        )
        // And a real JSON parser agrees.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["message"] as? String == message)
        #expect(object["error"] as? String == "bad_input")
        #expect(object["used"] as? Int == 16)
    }

    @Test func apiErrorResponseCarriesStatusTypeDetailsAndHeaders() throws {
        var error = APIError(status: .methodNotAllowed, code: "method_not_allowed", message: "PUT \"x\"\n")
        error.details = [.integer("capacity", 64), .integer("used", nil)]
        error.headers.add(name: "Allow", value: "GET, HEAD")
        let response = error.response
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.headers["Allow"] == "GET, HEAD")
        let body: [UInt8]? = if case .bytes(let bytes) = response.body { bytes } else { nil }
        let bytes = try #require(body, "an error is a plain body, not a stream")
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"error":"method_not_allowed","message":"PUT \"x\"\n","capacity":64,"used":null}"#)
    }

    @Test func textAndEmptyHelpers() {
        let text = HTTPResponse.text("ok\n")
        #expect(text.status == .ok)
        #expect(text.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(text.bodyCount == 3)
        let empty = HTTPResponse.empty()
        #expect(empty.status == .noContent)
        #expect(empty.bodyCount == 0)
    }

    @Test func constantTimeEqualsComparesWholeStrings() {
        #expect(constantTimeEquals("secret", "secret"))
        #expect(!constantTimeEquals("secret", "secreT"))
        #expect(!constantTimeEquals("secret", "secret2"))
        #expect(!constantTimeEquals("", "a"))
        #expect(constantTimeEquals("", ""))
        #expect(!constantTimeEquals("a", "b"))
    }

    @Test func listenAddresses() throws {
        #expect(try IPv4ListenAddress(host: "localhost", port: 1).isLoopback)
        #expect(try IPv4ListenAddress(host: "127.9.9.9", port: 1).isLoopback)
        #expect(try !IPv4ListenAddress(host: "0.0.0.0", port: 1).isLoopback)
        #expect(throws: HTTPServerError.invalidHost("nope")) { try IPv4ListenAddress(host: "nope", port: 1) }
        let address = try IPv4ListenAddress(host: "127.0.0.1", port: 8080).socketAddress
        #expect(address.sin_port == UInt16(8080).bigEndian)
        #expect(address.sin_addr.s_addr == UInt32(0x7F00_0001).bigEndian)
    }
}

@Suite struct SuspendedConnectionsTests {
    /// Never dereferenced: the registry only hands it to libmicrohttpd, and these paths do not reach it.
    private let unusedConnection = OpaquePointer(bitPattern: 0x1000)!

    @Test func refusesSuspensionOnceStopping() {
        let registry = SuspendedConnections()
        registry.resumeAll()
        #expect(!registry.suspend(unusedConnection))
        #expect(registry.count == 0)
    }

    @Test func resumingAnUnknownConnectionIsANoOp() {
        let registry = SuspendedConnections()
        #expect(!registry.resume(unusedConnection))
        #expect(registry.count == 0)
    }
}
