import Foundation
import Testing

@testable import ArenaHTTP

// Reading responses with Foundation's JSONSerialization: an independent parser, so the hand-rendered JSON is
// checked by someone else's rules.

/// A value from JSONSerialization with typed, optional accessors: `json["stats"]?["used_bytes"]?.int`.
struct JSON: CustomStringConvertible {
    let value: Any

    static func parse(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        do {
            return JSON(value: try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
        } catch {
            Issue.record(
                "not JSON (\(error)): \(String(decoding: bytes, as: UTF8.self))",
                sourceLocation: sourceLocation)
            throw error
        }
    }

    subscript(key: String) -> JSON? {
        (value as? [String: Any])?[key].map(JSON.init(value:))
    }

    subscript(index: Int) -> JSON? {
        guard let array = value as? [Any], array.indices.contains(index) else { return nil }
        return JSON(value: array[index])
    }

    var object: [String: JSON]? { (value as? [String: Any])?.mapValues(JSON.init(value:)) }
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }
    var array: [JSON]? { (value as? [Any])?.map(JSON.init(value:)) }
    var string: String? { value as? String }
    var isNull: Bool { value is NSNull }

    /// A whole number (JSONSerialization gives NSNumber; fractional values are refused).
    var int: Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double == double.rounded() else { return nil }
        return number.intValue
    }

    var uint64: UInt64? {
        guard let number = value as? NSNumber else { return nil }
        return number.uint64Value
    }

    var bool: Bool? { value as? Bool }

    var description: String {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return String(describing: value) }
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: - Error assertions

/// Asserts the API's error shape: `status`, `{"error": code, "message": ...}` as JSON, and that the message
/// mentions each of `mentions` (the field, the value, the limit: whatever tells the client what is wrong).
func expectError(
    _ response: TestResponse, status: UInt16, code: String, mentions: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status.code == status, "body: \(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers["Content-Type"] == "application/json", sourceLocation: sourceLocation)
    // A body that is not JSON has been recorded as an issue by JSON.parse; nothing more can be checked.
    guard let json = try? JSON.parse(response.bytes, sourceLocation: sourceLocation) else { return }
    #expect(json["error"]?.string == code, "body: \(response.text)", sourceLocation: sourceLocation)
    let message = json["message"]?.string ?? ""
    #expect(!message.isEmpty, "the error has no message: \(response.text)", sourceLocation: sourceLocation)
    for word in mentions {
        #expect(
            message.contains(word), "message should mention '\(word)': \(message)",
            sourceLocation: sourceLocation)
    }
    // Internal representations must never leak into what clients read.
    for leak in ["Optional(", "Error(", "SizeError", "JSONValue"] {
        #expect(!message.contains(leak), "message leaks '\(leak)': \(message)", sourceLocation: sourceLocation)
    }
}
