import Foundation
import Testing

/// A pprof profile read back with a decoder of the tests' own (not the server's encoder): gunzip by the system's
/// `gzip`, then the protobuf fields `profile.proto` defines, so the test checks the bytes Go's pprof reads.
struct PprofReader {
    struct Sample {
        var locationIDs: [UInt64]
        var values: [Int64]
        /// String labels by key, and numeric ones.
        var labels: [String: String]
        var numbers: [String: Int64]
    }

    var sampleTypes: [(type: String, unit: String)] = []
    var samples: [Sample] = []
    /// Function name by location id (one line per location).
    var functionOfLocation: [UInt64: String] = [:]

    struct Malformed: Error, CustomStringConvertible { var description: String }

    init(gzipped: [UInt8]) throws {
        let directory = try TestPaths.temporaryDirectory("pprof")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("profile.pb.gz")
        let output = directory.appendingPathComponent("profile.pb")
        try Data(gzipped).write(to: input)
        let gunzip = try ChildProcess.run("/bin/sh", ["-c", "gzip -dc '\(input.path)' > '\(output.path)'"])
        guard gunzip.exit == .exited(0) else { throw Malformed(description: "not gzip: \(gunzip.stderr)") }
        try self.init(profile: [UInt8](try Data(contentsOf: output)))
    }

    init(profile bytes: [UInt8]) throws {
        var strings: [String] = []
        var rawTypes: [(Int64, Int64)] = []
        var rawSamples: [[(Int, Field)]] = []
        var locationFunction: [UInt64: UInt64] = [:]
        var functionName: [UInt64: Int64] = [:]
        for (number, field) in try Self.fields(bytes[...]) {
            switch (number, field) {
            case (1, .bytes(let message)):
                let inner = try Self.fields(message)
                rawTypes.append((inner.varint(1), inner.varint(2)))
            case (2, .bytes(let message)): rawSamples.append(try Self.fields(message))
            case (4, .bytes(let message)):
                let location = try Self.fields(message)
                let id = UInt64(location.varint(1))
                for case (4, .bytes(let line)) in location {
                    locationFunction[id] = UInt64(try Self.fields(line).varint(1))
                }
            case (5, .bytes(let message)):
                let function = try Self.fields(message)
                functionName[UInt64(function.varint(1))] = function.varint(2)
            case (6, .bytes(let text)): strings.append(String(decoding: text, as: UTF8.self))
            default: break
            }
        }
        func string(_ index: Int64) -> String { strings.indices.contains(Int(index)) ? strings[Int(index)] : "?" }
        sampleTypes = rawTypes.map { (string($0.0), string($0.1)) }
        for (location, function) in locationFunction {
            functionOfLocation[location] = string(functionName[function] ?? 0)
        }
        for fields in rawSamples {
            var sample = Sample(locationIDs: [], values: [], labels: [:], numbers: [:])
            for (number, field) in fields {
                switch (number, field) {
                case (1, .bytes(let packed)): sample.locationIDs += try Self.varints(packed).map(UInt64.init)
                case (2, .bytes(let packed)): sample.values += try Self.varints(packed)
                case (3, .bytes(let message)):
                    let label = try Self.fields(message)
                    let key = string(label.varint(1))
                    if label.contains(where: { $0.0 == 2 }) { sample.labels[key] = string(label.varint(2)) }
                    if label.contains(where: { $0.0 == 3 }) { sample.numbers[key] = label.varint(3) }
                default: break
                }
            }
            samples.append(sample)
        }
    }

    /// The sum of one value (by sample type) over the samples, and per top function.
    func total(_ type: String) -> Int64 {
        guard let index = sampleTypes.firstIndex(where: { $0.type == type }) else { return -1 }
        return samples.reduce(0) { $0 + $1.values[index] }
    }

    func totalsByFunction(_ type: String) -> [String: Int64] {
        guard let index = sampleTypes.firstIndex(where: { $0.type == type }) else { return [:] }
        var totals: [String: Int64] = [:]
        for sample in samples {
            totals[functionOfLocation[sample.locationIDs.first ?? 0] ?? "?", default: 0] += sample.values[index]
        }
        return totals
    }

    enum Field {
        case varint(Int64)
        case bytes(ArraySlice<UInt8>)
    }

    static func fields(_ bytes: ArraySlice<UInt8>) throws -> [(Int, Field)] {
        var fields: [(Int, Field)] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let key = try varint(bytes, &index)
            switch key & 7 {
            case 0: fields.append((Int(key >> 3), .varint(Int64(bitPattern: try varint(bytes, &index)))))
            case 2:
                let length = Int(try varint(bytes, &index))
                guard index + length <= bytes.endIndex else { throw Malformed(description: "field past the end") }
                fields.append((Int(key >> 3), .bytes(bytes[index..<(index + length)])))
                index += length
            default: throw Malformed(description: "wire type \(key & 7)")
            }
        }
        return fields
    }

    static func varints(_ bytes: ArraySlice<UInt8>) throws -> [Int64] {
        var values: [Int64] = []
        var index = bytes.startIndex
        while index < bytes.endIndex { values.append(Int64(bitPattern: try varint(bytes, &index))) }
        return values
    }

    static func varint(_ bytes: ArraySlice<UInt8>, _ index: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex, shift < 64 else { throw Malformed(description: "bad varint") }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
}

extension [(Int, PprofReader.Field)] {
    /// The first varint field `number` (0 when absent, as protobuf defaults).
    func varint(_ number: Int) -> Int64 {
        for case (number, .varint(let value)) in self { return value }
        return 0
    }
}
