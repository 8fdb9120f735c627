#if canImport(Glibc)
import Glibc
#endif

/// Reads small files (configuration, token) whole, with `strerror` text on failure
/// ("No such file or directory") rather than Foundation's longer error descriptions.
enum FileContents {
    /// Files larger than this are refused: configuration and tokens are small.
    static let maxBytes = 16 << 20

    /// The bytes of the file at `path`, or why it cannot be read.
    static func read(path: String) -> Result<[UInt8], FileReadError> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(FileReadError(errno: errno)) }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                // Safe: read writes at most buffer.count bytes into the chunk's own storage.
                Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(FileReadError(errno: errno))
            }
            if count == 0 { return .success(contents) }
            contents.append(contentsOf: chunk[0..<count])
            if contents.count > maxBytes { return .failure(FileReadError(errno: EFBIG)) }
        }
    }

    /// An `errno` from open or read.
    struct FileReadError: Error, Equatable {
        var errno: Int32
        /// E.g. `No such file or directory`.
        var reason: String { String(cString: strerror(errno)) }
    }
}
