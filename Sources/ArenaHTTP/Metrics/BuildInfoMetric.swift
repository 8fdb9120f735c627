/// `arena_build_info{version,revision,swift} 1`: what is running, to join on or to compare across instances (an
/// info metric in OpenMetrics, a gauge in text 0.0.4).
enum BuildInfoMetric {
    static func render(into out: inout PrometheusText) {
        out.family(
            "arena_build_info", type: .info,
            help: "The arena-server build: release version, git revision, Swift compiler. Always 1.")
        out.sample(
            "arena_build_info",
            labels: [
                ("version", ArenaHTTPServer.version), ("revision", ArenaHTTPServer.revision),
                ("swift", ArenaHTTPServer.swiftVersion),
            ], 1)
    }
}
