import Glibc
import Testing

@testable import ArenaHTTP

/// `process_*` come from a CPU clock, one descriptor of `/proc/self/statm` kept open and the kernel's count of
/// `/proc/self/fd`: the figures must follow the process as a fresh read and a listing would.
@Suite(.serialized) struct ProcessMetricsTests {
    /// The kernel's count equals a listing of the directory, and both follow descriptors being opened and closed.
    /// Linux 6.2 and later report the count; on older kernels the listing is what `openDescriptors` returns.
    @Test func openDescriptorsFollowTheProcess() throws {
        if Self.kernelAtLeast(6, 2) { #expect(ProcessMetrics.countedDescriptors() != nil, "Linux \(Self.release)") }
        let before = ProcessMetrics.openDescriptors()
        #expect(Self.countAgreesWithListing())
        var pipes: [Int32] = Array(repeating: -1, count: 2 * 50)
        for index in stride(from: 0, to: pipes.count, by: 2) {
            try pipes.withUnsafeMutableBufferPointer { buffer in
                try #require(pipe(buffer.baseAddress! + index) == 0)
            }
        }
        let opened = ProcessMetrics.openDescriptors()
        #expect(Self.countAgreesWithListing())
        for descriptor in pipes { close(descriptor) }
        let closed = ProcessMetrics.openDescriptors()
        // Other tests open and close descriptors meanwhile (their servers' sockets): most of 100 are these pipes.
        #expect(opened - before >= 90 && opened - closed >= 90, "\(before) -> \(opened) -> \(closed)")
    }

    /// Whether `openDescriptors` and a listing agree at some moment: other suites run beside this one and open
    /// sockets, so one comparison could race; a count that is wrong never agrees.
    static func countAgreesWithListing() -> Bool {
        for _ in 0..<50 {
            let counted = ProcessMetrics.openDescriptors()
            let listed = ProcessMetrics.listedDescriptors()
            if counted == listed && ProcessMetrics.openDescriptors() == counted { return true }
        }
        return false
    }

    /// The `/proc/self/statm` descriptor is read anew on every scrape: resident memory rises by what the process
    /// touches between two samples, and CPU time by what it spends; both agree with `/proc/self/stat`.
    @Test func sampleIsReadAnewEachTime() throws {
        let first = try #require(ProcessMetrics.sample())
        let bytes = 64 << 20
        let block = try #require(mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        defer { munmap(block, bytes) }
        memset(block, 1, bytes)
        var spin: UInt64 = 0
        let start = clock()
        while clock() - start < CLOCKS_PER_SEC / 5 { spin &+= 1 }  // 200 ms of CPU
        let second = try #require(ProcessMetrics.sample())
        let stat = try #require(ProcessMetrics.statFields())
        let third = try #require(ProcessMetrics.sample())
        #expect(second.residentBytes >= first.residentBytes + UInt64(bytes) / 2, "\(first) -> \(second)")
        #expect(second.virtualBytes >= first.virtualBytes + UInt64(bytes), "\(first) -> \(second)")
        #expect(second.cpuNanoseconds >= first.cpuNanoseconds + 150_000_000, "spun \(spin) times")
        // /proc/self/stat read between the second and third samples: the same process, by another file. Its CPU
        // time is in ticks (10 ms), and other tests' threads run meanwhile.
        let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let statResident = stat.residentPages * pageSize
        #expect(statResident + (8 << 20) >= second.residentBytes && statResident <= third.residentBytes + (8 << 20))
        #expect(
            stat.virtualBytes + (64 << 20) >= second.virtualBytes
                && stat.virtualBytes <= third.virtualBytes + (64 << 20))
        let statNanoseconds = stat.cpuTicks * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
        #expect(statNanoseconds + 50_000_000 >= second.cpuNanoseconds, "\(statNanoseconds) vs \(second)")
        #expect(statNanoseconds <= third.cpuNanoseconds + 50_000_000, "\(statNanoseconds) vs \(third)")
    }

    /// statm's first two numbers, and nothing from a line that lacks them.
    @Test func statmParsing() {
        func parse(_ text: String) -> [UInt64]? {
            Array(text.utf8).withUnsafeBufferPointer { ProcessMetrics.parseStatm($0).map { [$0.size, $0.resident] } }
        }
        #expect(parse("765 432 403 5 0 123 0\n") == [765, 432])
        #expect(parse("18446744073709551615 1 0 0 0 0 0\n") == [UInt64.max, 1])
        #expect(parse("765\n") == nil)
        #expect(parse("") == nil)
        #expect(parse(" 765 432\n") == nil)
    }

    static var release: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    static func kernelAtLeast(_ major: Int, _ minor: Int) -> Bool {
        let parts = release.split(separator: ".").prefix(2).map { Int($0.prefix { $0.isNumber }) ?? 0 }
        guard parts.count == 2 else { return false }
        return (parts[0], parts[1]) >= (major, minor)
    }
}
