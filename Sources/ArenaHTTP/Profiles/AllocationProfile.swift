import ArenaCore

/// A pprof profile (`profile.proto`, the format Go's `pprof` reads) of allocation events: one sample per call
/// site, arena and generation, with the values `allocations/count` and `space/bytes` (bytes asked for, padding
/// excluded, as `allocated_bytes` counts them) and the labels `arena`, `class` and `generation`.
///
/// Sites are the events' `AllocationSite`s: a file and line (one location whose function is named `File.swift:12`),
/// a named site (`parser.rs:120`), or `(unknown)`. Every sample's stack is that one frame: arena events record
/// where an allocation was asked for, not how the program got there.
///
/// ```swift
/// var profile = AllocationProfile()
/// profile.add(event, arena: "req-42", arenaClass: "request")
/// let body = Gzip.compress(profile.encoded(durationNanoseconds: 0))
/// ```
struct AllocationProfile {
    private struct Key: Hashable {
        let site: AllocationSite
        let arena: String
        let arenaClass: String
        let generation: UInt64
    }

    private var samples: [Key: (count: Int, bytes: Int)] = [:]
    /// In the order first seen, so encoding is deterministic for the same events.
    private var order: [Key] = []

    /// Totals over every sample.
    private(set) var allocations = 0
    private(set) var bytes = 0

    /// Adds an allocation event (other kinds are ignored).
    mutating func add(_ event: AllocationEvent, arena: String, arenaClass: String) {
        guard event.kind == .allocation else { return }
        let key = Key(site: event.site, arena: arena, arenaClass: arenaClass, generation: event.generation)
        if samples[key] == nil { order.append(key) }
        samples[key, default: (0, 0)].count += 1
        samples[key, default: (0, 0)].bytes += event.size
        allocations += 1
        bytes += event.size
    }

    /// The profile message, uncompressed.
    func encoded(timeNanoseconds: UInt64, durationNanoseconds: UInt64) -> [UInt8] {
        var strings = StringTable()
        var profile = ProtobufWriter()
        let allocationsType = strings.index("allocations")
        let countUnit = strings.index("count")
        let spaceType = strings.index("space")
        let bytesUnit = strings.index("bytes")
        for (type, unit) in [(allocationsType, countUnit), (spaceType, bytesUnit)] {
            profile.message(field: 1) { valueType in
                valueType.varint(field: 1, type)
                valueType.varint(field: 2, unit)
            }
        }
        // One function and one location per site, numbered from 1.
        var locations: [AllocationSite: Int] = [:]
        var sites: [AllocationSite] = []
        for key in order where locations[key.site] == nil {
            sites.append(key.site)
            locations[key.site] = sites.count
        }
        let arenaKey = strings.index("arena")
        let classKey = strings.index("class")
        let generationKey = strings.index("generation")
        for key in order {
            // Safe to force: every key was added to `samples` with its first event.
            let totals = samples[key]!
            profile.message(field: 2) { sample in
                sample.packed(field: 1, [UInt64(locations[key.site]!)])
                sample.packed(field: 2, [UInt64(totals.count), UInt64(totals.bytes)])
                sample.message(field: 3) { label in
                    label.varint(field: 1, arenaKey)
                    label.varint(field: 2, strings.index(key.arena))
                }
                sample.message(field: 3) { label in
                    label.varint(field: 1, classKey)
                    label.varint(field: 2, strings.index(key.arenaClass))
                }
                sample.message(field: 3) { label in
                    label.varint(field: 1, generationKey)
                    label.varint(field: 3, key.generation)
                }
            }
        }
        for (index, site) in sites.enumerated() {
            let id = index + 1
            profile.message(field: 4) { location in
                location.varint(field: 1, id)
                location.message(field: 4) { line in
                    line.varint(field: 1, id)
                    line.varint(field: 2, site.lineNumber ?? 0)
                }
            }
            let name = strings.index(site.description)
            let file = strings.index(site.name ?? "(unknown)")
            profile.message(field: 5) { function in
                function.varint(field: 1, id)
                function.varint(field: 2, name)
                function.varint(field: 3, name)
                function.varint(field: 4, file)
            }
        }
        profile.varint(field: 9, timeNanoseconds)
        profile.varint(field: 10, durationNanoseconds)
        profile.message(field: 11) { periodType in
            periodType.varint(field: 1, spaceType)
            periodType.varint(field: 2, bytesUnit)
        }
        profile.varint(field: 12, 1)
        // The string table last: every index above was taken from it.
        for string in strings.strings { profile.bytes(field: 6, Array(string.utf8)) }
        return profile.bytes
    }

    /// `string_table`: index 0 is the empty string, as the format requires.
    private struct StringTable {
        private(set) var strings = [""]
        private var indices = ["": 0]

        mutating func index(_ string: String) -> Int {
            if let index = indices[string] { return index }
            strings.append(string)
            indices[string] = strings.count - 1
            return strings.count - 1
        }
    }
}
