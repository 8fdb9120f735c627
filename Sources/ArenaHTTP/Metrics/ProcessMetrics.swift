import Foundation

/// The standard `process_*` metrics, read from /proc/self on each scrape.
enum ProcessMetrics {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private static let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))

    /// Seconds since 1970 at which the process started: boot time plus the process's start tick.
    static let startTime: Double = {
        guard let stat = statFields(), stat.count > 19, let startTicks = Double(stat[19]),
            let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let bootLine = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(bootLine.dropFirst(6).trimmingCharacters(in: .whitespaces))
        else { return Date().timeIntervalSince1970 }
        return boot + startTicks / ticksPerSecond
    }()

    /// Fields of /proc/self/stat after the command name (field 3 of the man page is index 0).
    private static func statFields() -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    static func render(into out: inout PrometheusText) {
        if let stat = statFields(), stat.count > 21 {
            let cpu = ((Double(stat[11]) ?? 0) + (Double(stat[12]) ?? 0)) / ticksPerSecond
            out.family(
                "process_cpu_seconds_total", type: .counter, help: "Total user and system CPU time spent in seconds.")
            out.sample("process_cpu_seconds_total", cpu)
            out.family("process_virtual_memory_bytes", type: .gauge, help: "Virtual memory size in bytes.")
            out.sample("process_virtual_memory_bytes", Double(stat[20]) ?? 0)
            out.family("process_resident_memory_bytes", type: .gauge, help: "Resident memory size in bytes.")
            out.sample("process_resident_memory_bytes", (Double(stat[21]) ?? 0) * pageSize)
        }
        out.family(
            "process_start_time_seconds", type: .gauge, help: "Start time of the process since unix epoch in seconds.")
        out.sample("process_start_time_seconds", startTime)
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        out.family("process_open_fds", type: .gauge, help: "Number of open file descriptors.")
        out.sample("process_open_fds", fds)
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            out.family("process_max_fds", type: .gauge, help: "Maximum number of open file descriptors.")
            out.sample("process_max_fds", Double(limit.rlim_cur))
        }
    }
}
