import ArenaCore

#if canImport(Glibc)
import Glibc
#endif

/// The standard `process_*` metrics, read on each scrape without a path lookup or a listing: CPU time from
/// `CLOCK_PROCESS_CPUTIME_ID`, memory from one `pread` of `/proc/self/statm` and the descriptor count from one
/// `fstat` of `/proc/self/fd` (both opened once), no Foundation, no strings per field.
///
/// Measured with perf under wrk on `/metrics` with the default arenas (docs/PERFORMANCE.md, 2026-12-04): listing
/// `/proc/self/fd` with `readdir` was 30% of the daemon's CPU, opening and closing `/proc/self/stat` 9%, and then
/// the kernel's writing of `/proc/self/stat` (52 fields, summed over the threads) 10% of what remained.
enum ProcessMetrics {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    /// Seconds since 1970 at which the process started: boot time plus the process's start tick.
    static let startTime: Double = {
        let start = statFields().map { $0.startTicks } ?? 0
        guard let stat = try? FileContents.read(path: "/proc/stat").get(),
            let boot = field(after: Array("btime ".utf8), in: stat)
        else { return Double(WallClock.now()) / 1e9 }
        return Double(boot) + Double(start) / ticksPerSecond
    }()

    /// What a scrape reports of the process now.
    struct Sample {
        /// User and system CPU time of all threads, in nanoseconds (exact, where `/proc/self/stat` counts ticks).
        var cpuNanoseconds: UInt64
        /// Virtual memory size (statm's `size`), in bytes.
        var virtualBytes: UInt64
        /// Resident set size (statm's `resident`, the same as stat's `rss`), in bytes.
        var residentBytes: UInt64
    }

    /// The process now; `nil` if `/proc/self/statm` cannot be read.
    static func sample() -> Sample? {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0, statmDescriptor >= 0 else { return nil }
        // Two numbers of at most 20 digits, then five more: 160 bytes hold any statm line.
        let fields = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 160) { buffer -> (UInt64, UInt64)? in
            // A read at offset 0 makes the kernel write the file anew (proc(5)'s files are generated on read), so
            // one descriptor serves every scrape; `pread` leaves its offset alone for the other threads.
            // Safe: pread writes at most buffer.count bytes into the temporary buffer, and count says how many.
            let count = pread(statmDescriptor, buffer.baseAddress, buffer.count, 0)
            guard count > 0 else { return nil }
            return parseStatm(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
        guard let (sizePages, residentPages) = fields else { return nil }
        return Sample(
            cpuNanoseconds: UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec),
            virtualBytes: sizePages &* pageSize, residentBytes: residentPages &* pageSize)
    }

    /// The first two numbers of a statm line (`size resident shared text lib data dt`, in pages).
    static func parseStatm(_ text: UnsafeBufferPointer<UInt8>) -> (size: UInt64, resident: UInt64)? {
        var numbers: (UInt64, UInt64) = (0, 0)
        var index = 0
        var value: UInt64 = 0
        var digits = 0
        for byte in text {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                value = value &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                digits += 1
            } else {
                guard digits > 0 else { return nil }
                if index == 0 { numbers.0 = value } else { return (numbers.0, value) }
                index += 1
                value = 0
                digits = 0
            }
        }
        return nil
    }

    /// `/proc/self/statm`, open for the process's lifetime (one of `process_open_fds`); -1 if it could not be
    /// opened. `/proc/self` names the process, not the thread that opened it.
    private static let statmDescriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)

    /// What the start time needs from `/proc/self/stat` (field numbers as in proc(5)); read once, and by tests.
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
        guard let text = try? FileContents.read(path: "/proc/self/stat").get() else { return nil }
        return parseStat(text[...])
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

    /// The process's open file descriptors: the size `stat` reports for `/proc/self/fd` (Linux 6.2 and later
    /// report the count there), or, on older kernels (which report 0), a count of its entries.
    static func openDescriptors() -> Int { countedDescriptors() ?? listedDescriptors() }

    /// The kernel's count of open descriptors, without listing them; `nil` where the kernel reports none (before
    /// Linux 6.2, whose `/proc/self/fd` has size 0; a process that answers a scrape has a descriptor open).
    static func countedDescriptors() -> Int? {
        var info = stat()
        guard fdDirectory >= 0, fstat(fdDirectory, &info) == 0, info.st_size > 0 else { return nil }
        return Int(info.st_size)
    }

    /// `/proc/self/fd`, open for the process's lifetime: `fstat` asks the kernel for the count each time.
    private static let fdDirectory = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)

    /// Entries of `/proc/self/fd`, without `.`, `..` and the directory's own descriptor.
    static func listedDescriptors() -> Int {
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
        if let now = sample() {
            out.family(
                "process_cpu_seconds_total", type: .counter, help: "Total user and system CPU time spent in seconds.")
            out.sample("process_cpu_seconds_total", Double(now.cpuNanoseconds) / 1e9)
            out.created("process_cpu_seconds_total", labels: [], startTime)
            out.family("process_virtual_memory_bytes", type: .gauge, help: "Virtual memory size in bytes.")
            out.sample("process_virtual_memory_bytes", now.virtualBytes)
            out.family("process_resident_memory_bytes", type: .gauge, help: "Resident memory size in bytes.")
            out.sample("process_resident_memory_bytes", now.residentBytes)
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
