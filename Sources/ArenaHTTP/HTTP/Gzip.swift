import CZlib

/// gzip (RFC 1952) of a byte string, with zlib's deflate: a gzip header, the raw deflate stream, the CRC-32 and
/// the length. For the pprof profiles, which Go's tools expect gzip-compressed.
///
/// `compress2` writes the zlib format (RFC 1950: a 2-byte header, the same deflate stream, an Adler-32): the
/// deflate stream in between is what gzip wraps, so no streaming API (whose setup is a C macro) is needed.
enum Gzip {
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var bound = compressBound(uLong(bytes.count))
        var zlib = [UInt8](repeating: 0, count: Int(bound))
        let status = zlib.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                // Safe: `out` has `bound` bytes (zlib's worst case for this input), `input` its count; zlib writes
                // the compressed length back into `bound`.
                compress2(out.baseAddress, &bound, input.baseAddress, uLong(input.count), Z_BEST_SPEED)
            }
        }
        precondition(status == Z_OK && bound >= 6, "zlib compress2 failed with \(status)")
        let crc = bytes.withUnsafeBufferPointer { input in
            // Safe: crc32 reads `input.count` bytes of the array's storage during this call.
            UInt32(truncatingIfNeeded: crc32(0, input.baseAddress, uInt(input.count)))
        }
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]  // magic, deflate, no flags, no time, unknown OS
        out.reserveCapacity(18 + Int(bound))
        out.append(contentsOf: zlib[2..<(Int(bound) - 4)])
        for value in [crc, UInt32(truncatingIfNeeded: bytes.count)] {
            for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> shift)) }
        }
        return out
    }
}
