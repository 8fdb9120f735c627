import ArenaCore

extension ArenaClassMetrics {
    /// Renders the `arena_*` families: arenas labelled by class and summed over the arenas of that class, so
    /// per-request arenas do not grow the number of series (per-arena detail stays in the JSON API).
    func render(registry: ArenaRegistry, into out: inout PrometheusText) {
        // Together: an arena removed between the two reads would be counted twice or not at all.
        // Each arena's stats and trace counter only, straight into its class's sums: a full `ArenaSnapshot` per
        // arena (name, policy, last generation, ...) made a scrape at 10,000 arenas build and drop megabytes.
        var classes = ClassTable()
        let (live, retired) = withMembership {
            () -> ((count: Int, reservedBytes: Int), [String: ArenaClassMetrics.ClassTotals]) in
            let live = registry.forEachArenaStats { entry, stats in
                classes.add(live: stats, traceOverwritten: entry.arena.trace?.overwritten ?? 0, to: entry.arenaClass)
            }
            return (live, retiredCounters())
        }
        for (name, counters) in retired { classes.addCounters(counters, to: name) }
        let (names, totals) = classes.sorted()
        // Each class's label rendered once for its dozen families.
        let labels = names.map { PrometheusText.Label("class", $0) }
        // OpenMetrics' `_created` of the class counters: when the class was first seen.
        let created = out.format == .openMetrics ? firstSeen(names) : [:]

        func family<T: BinaryInteger>(
            _ name: StaticString, _ type: PrometheusText.MetricType, _ help: StaticString,
            _ value: (ArenaClassMetrics.ClassTotals) -> T
        ) {
            out.family(name, type: type, help: help)
            for index in names.indices {
                out.sample(name, label: labels[index], value(totals[index]))
                if type == .counter, let seconds = created[names[index]] {
                    out.created(name, label: labels[index], seconds)
                }
            }
        }
        family("arena_arenas", .gauge, "Arenas of the class that exist now.") { $0.arenas }
        family("arena_capacity_bytes", .gauge, "Bytes the arenas of the class hold now (all chunks).") { $0.capacity }
        family("arena_limit_bytes", .gauge, "Bytes the arenas of the class may hold at most.") { $0.limit }
        family("arena_used_bytes", .gauge, "Bytes handed out by the arenas of the class since their last reset.") {
            $0.used
        }
        family("arena_high_water_bytes", .gauge, "Sum of the arenas' highest used bytes ever.") { $0.highWater }
        out.family(
            "arena_max_fill_ratio", type: .gauge,
            help: "Used bytes over the limit of the fullest arena of the class (0 to 1).")
        for index in names.indices {
            out.sample("arena_max_fill_ratio", label: labels[index], totals[index].maxFillRatio)
        }
        family("arena_allocations_total", .counter, "Successful allocations.") { $0.allocations }
        family("arena_allocated_bytes_total", .counter, "Bytes requested by successful allocations.") {
            $0.allocatedBytes
        }
        family("arena_padding_bytes_total", .counter, "Bytes skipped for alignment.") { $0.paddingBytes }
        family("arena_failed_allocations_total", .counter, "Allocations refused because the arena was full.") {
            $0.failedAllocations
        }
        family("arena_resets_total", .counter, "Arena resets.") { $0.resets }
        family(
            "arena_trace_overwritten_events_total", .counter,
            "Trace events overwritten in the ring before a reader could have read them."
        ) { $0.traceOverwritten }

        out.family(
            "arena_allocation_size_bytes", type: .histogram,
            help: "Sizes of allocations made over the HTTP API, by class.")
        for (arenaClass, histogram) in sizeHistograms().sorted(by: { $0.key < $1.key }) {
            var cumulative: [UInt64] = []
            cumulative.reserveCapacity(histogram.counts.count)
            var running: UInt64 = 0
            for count in histogram.counts.dropLast() {
                running += count
                cumulative.append(running)
            }
            out.histogram(
                "arena_allocation_size_bytes", label: PrometheusText.Label("class", arenaClass),
                bounds: ArenaClassMetrics.renderedSizeBounds, cumulativeCounts: cumulative,
                sum: .integer(UInt64(clamping: histogram.sum)), count: histogram.count, created: created[arenaClass])
        }

        out.family("arena_registry_arenas", type: .gauge, help: "Arenas in the registry.")
        out.sample("arena_registry_arenas", live.count)
        out.family("arena_registry_max_arenas", type: .gauge, help: "Most arenas the registry may hold.")
        out.sample("arena_registry_max_arenas", registry.limits.maxArenas)
        out.family("arena_registry_reserved_bytes", type: .gauge, help: "Bytes reserved by the registered arenas.")
        out.sample("arena_registry_reserved_bytes", live.reservedBytes)
        out.family("arena_registry_budget_bytes", type: .gauge, help: "Bytes all arenas together may reserve.")
        out.sample("arena_registry_budget_bytes", registry.limits.maxTotalBytes)
    }
}
