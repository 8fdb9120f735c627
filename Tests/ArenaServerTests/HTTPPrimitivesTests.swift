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
        let body = response.body.sentBytes
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

    @Test func tokenCheckComparesWholeTokens() {
        let check = TokenCheck(token: "secret")
        #expect(check.matches(Array("secret".utf8)))
        #expect(!check.matches(Array("secreT".utf8)))
        #expect(!check.matches(Array("secret2".utf8)))
        #expect(!check.matches(Array("secre".utf8)))
        #expect(!check.matches([]))
        #expect(!TokenCheck(token: "a").matches(Array("b".utf8)))
    }

    /// FIPS 180-4 test vectors, and one longer than a block: the token check is only as good as its hash.
    @Test func sha256MatchesTheStandardVectors() {
        func hex(_ text: String) -> String {
            SHA256.hash(Array(text.utf8)).map {
                String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
            }
            .joined()
        }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            hex(String(repeating: "a", count: 1000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    /// Headers packed at once (the server's way in) are the headers appended one by one: the same fields, bytes,
    /// C strings and lookups, and they take more fields after.
    @Test func packedHeadersAreAppendedHeaders() {
        let fields: [(String, String)] = [
            ("Host", "127.0.0.1"), ("X-Empty", ""), ("", "no name"), ("X-Ünï", "cödé"),
            ("Content-Type", "application/json"), ("X-Long", String(repeating: "v", count: 700)), ("x-long", "2"),
        ]
        let bytes = fields.map { (Array($0.0.utf8), Array($0.1.utf8)) }
        var appended = HTTPHeaders()
        for (name, value) in bytes {
            name.withUnsafeBytes { n in value.withUnsafeBytes { v in appended.append(name: n, value: v) } }
        }
        // Every name and value in one array, as they lie in libmicrohttpd's buffer; the views into it are used
        // only inside its withUnsafeBytes.
        var packed = bytes.flatMap { $0.0 + $0.1 }.withUnsafeBytes { raw in
            var names: [UnsafeRawBufferPointer] = []
            var values: [UnsafeRawBufferPointer] = []
            var offset = 0
            for (name, value) in bytes {
                names.append(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + name.count)]))
                offset += name.count
                values.append(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + value.count)]))
                offset += value.count
            }
            return names.withUnsafeBufferPointer { n in
                values.withUnsafeBufferPointer { v in HTTPHeaders(packing: n, values: v) }
            }
        }
        func summary(_ headers: HTTPHeaders) -> [String] {
            var lines: [String] = []
            headers.withCStrings { name, value in lines.append(String(cString: name) + ": " + String(cString: value)) }
            headers.forEachRawField { name, value in
                lines.append("\(Array(name)) \(Array(value))")
                return true
            }
            return lines + headers.map { "\($0.name)=\($0.value)" } + [String(headers.count)]
        }
        #expect(summary(packed) == summary(appended))
        #expect(packed["X-LONG"] == String(repeating: "v", count: 700))
        #expect(packed.values(for: "x-long").count == 2)
        packed.add(name: "After", value: "1")
        appended.add(name: "After", value: "1")
        #expect(summary(packed) == summary(appended))
        let none = HTTPHeaders(
            packing: UnsafeBufferPointer(start: nil, count: 0), values: UnsafeBufferPointer(start: nil, count: 0))
        #expect(none.count == 0 && none["Host"] == nil)
    }

    /// The bitmaps behind `RequestHeadRules.isTokenByte` are RFC 9110's `tchar`, for every byte value.
    @Test func tokenBytesAreExactlyTheRFCsTchar() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(RequestHeadRules.isTokenByte(byte) == tchar.contains(byte), "byte \(byte)")
        }
    }

    /// The head rules on fields as they arrive: names matched in any case, `Content-Length` values compared
    /// after trimming, `Transfer-Encoding` read across repeated fields.
    @Test func headRulesReadTheFieldsTheyActOn() {
        func check(_ fields: [(String, String)], http11: Bool = true) -> (problem: HTTPRejection?, chunked: Bool) {
            var headers = HTTPHeaders()
            for (name, value) in fields { headers.add(name: name, value: value) }
            return RequestHeadRules.check(headers, isHTTP11: http11)
        }
        #expect(check([("HOST", "a")]).problem == nil)
        #expect(check([("hOsT", "a"), ("host", "b")]).problem != nil)
        #expect(check([("Hosts", "a")]).problem != nil, "not a Host field: HTTP/1.1 without Host")
        #expect(check([], http11: false).problem == nil)
        #expect(check([("Host", "a"), ("Content-Length", "5"), ("content-length", " 5\t")]).problem == nil)
        #expect(check([("Host", "a"), ("Content-Length", "5"), ("CONTENT-LENGTH", "50")]).problem != nil)
        #expect(check([("Host", "a"), ("Transfer-Encoding", " Chunked ")]) == (nil, true))
        #expect(check([("Host", "a"), ("Transfer-Encoding", "chunked"), ("Content-Length", "1")]).problem != nil)
        #expect(
            check([("Host", "a"), ("Transfer-Encoding", "gzip"), ("transfer-encoding", "chunked")]).problem
                == .unsupportedTransferCoding("gzip,chunked"))
        #expect(check([("Host", "a"), ("X-Y", "a\u{7F}")]).problem != nil)
        #expect(check([("Host", "a"), ("X-Y", "tab\tok")]).problem == nil)
        #expect(check([("Host", "a"), ("X Y", "1")]).problem != nil)
    }

    /// The methods the API serves come out as their constants; anything else, however close, as sent.
    @Test func methodsFromCStrings() {
        let known: [HTTPMethod] = [.get, .head, .post, .put, .patch, .delete, .options]
        for method in known {
            #expect(method.rawValue.withCString { HTTPMethod(cString: $0) } == method)
        }
        for sent in ["get", "GE", "GETS", "POSTX", "", "BREW", "OPTION", "DELETEE", "Get"] {
            #expect(sent.withCString { HTTPMethod(cString: $0) }.rawValue == sent)
        }
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
        #expect(registry.suspend(unusedConnection) == .stopping)
        #expect(registry.count == 0)
    }

    /// A wake that comes while the stream is still deciding to suspend is kept: the suspension is skipped (the
    /// stream looks again) instead of sleeping through what woke it. The wake is used up by that.
    @Test func aWakeBeforeTheSuspensionSkipsIt() {
        let registry = SuspendedConnections()
        registry.wake(unusedConnection)
        #expect(registry.suspend(unusedConnection) == .wokenAlready)
        #expect(registry.count == 0)
        registry.wake(unusedConnection)
        registry.forget(unusedConnection)
        registry.resumeAll()
        #expect(registry.suspend(unusedConnection) == .stopping, "forget dropped the pending wake")
    }
}
