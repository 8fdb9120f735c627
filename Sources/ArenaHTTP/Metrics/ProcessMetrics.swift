import ArenaCore

#if canImport(Glibc)
import Glibc
#endif

/// The standard `process_*` metrics, read from /proc/self on each scrape: one `read` of `/proc/self/stat` parsed
/// in place, and a `readdir` count of `/proc/self/fd` (no Foundation, no strings per field).
enum ProcessMetrics {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private static let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))

    /// Seconds since 1970 at which the process started: boot time plus the process's start tick.
    static let startTime: Double = {
        let start = statFields().map { $0.startTicks } ?? 0
        guard let stat = try? FileContents.read(path: "/proc/stat").get(),
            let boot = field(after: Array("btime ".utf8), in: stat)
        else { return Double(WallClock.now()) / 1e9 }
        return Double(boot) + Double(start) / ticksPerSecond
    }()

    /// What the scrape needs from `/proc/self/stat` (field numbers as in proc(5)).
    struct StatFields {
        /// utime + stime (14, 15), in clock ticks.
        var cpuTicks: UInt64
        /// starttime (22), in clock ticks since boot.
        var startTicks: UInt64
        /// vsize (23), in bytes.
        var virtualBytes: UInt64
        /// rss (24), in pages.
        var residentPages: UInt64
    }

    /// Parses `/proc/self/stat`: fields after the command name, which is in parentheses and may hold spaces.
    static func statFields() -> StatFields? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let descriptor = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return parseStat(buffer[..<count])
    }

    static func parseStat(_ text: ArraySlice<UInt8>) -> StatFields? {
        guard let close = text.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Field 3 (state) is the first after ") ".
        var number = 3
        var fields = StatFields(cpuTicks: 0, startTicks: 0, virtualBytes: 0, residentPages: 0)
        var value: UInt64 = 0
        var inField = false
        for byte in text[(close + 1)...] {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") {
                guard inField else { continue }
                switch number {
                case 14, 15: fields.cpuTicks += value
                case 22: fields.startTicks = value
                case 23: fields.virtualBytes = value
                case 24:
                    fields.residentPages = value
                    return fields
                default: break
                }
                number += 1
                inField = false
                value = 0
            } else {
                inField = true
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    value = value &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
                }
            }
        }
        return nil
    }

    /// The number after `prefix` at the start of a line of `text`.
    private static func field(after prefix: [UInt8], in text: [UInt8]) -> UInt64? {
        var lineStart = 0
        while lineStart < text.count {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            if text[lineStart..<lineEnd].starts(with: prefix) {
                var value: UInt64 = 0
                for byte in text[(lineStart + prefix.count)..<lineEnd] where byte >= 48 && byte <= 57 {
                    value = value &* 10 &+ UInt64(byte - 48)
                }
                return value
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// Entries of `/proc/self/fd`, without `.`, `..` and the directory's own descriptor.
    static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return max(0, count - 1)
    }

    static func render(into out: inout PrometheusText) {
        if let stat = statFields() {
            out.family(
                "process_cpu_seconds_total", type: .counter, help: "Total user and system CPU time spent in seconds.")
            out.sample("process_cpu_seconds_total", Double(stat.cpuTicks) / ticksPerSecond)
            out.created("process_cpu_seconds_total", labels: [], startTime)
            out.family("process_virtual_memory_bytes", type: .gauge, help: "Virtual memory size in bytes.")
            out.sample("process_virtual_memory_bytes", stat.virtualBytes)
            out.family("process_resident_memory_bytes", type: .gauge, help: "Resident memory size in bytes.")
            out.sample("process_resident_memory_bytes", UInt64(Double(stat.residentPages) * pageSize))
        }
        out.family(
            "process_start_time_seconds", type: .gauge, help: "Start time of the process since unix epoch in seconds.")
        out.sample("process_start_time_seconds", startTime)
        out.family("process_open_fds", type: .gauge, help: "Number of open file descriptors.")
        out.sample("process_open_fds", openDescriptors())
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            out.family("process_max_fds", type: .gauge, help: "Maximum number of open file descriptors.")
            out.sample("process_max_fds", UInt64(limit.rlim_cur))
        }
    }
}
