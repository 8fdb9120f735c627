import ArenaCore

/// Bytes the built-in configuration's declared arenas reserve in the registry: `request` (64 KiB) and `frame`
/// (a 16 MiB limit), each with a trace ring of 4096 events, and `scratch` (1 MiB, untraced).
let declaredReservedBytes = (64 << 10) + (16 << 20) + (1 << 20) + 2 * TraceRing.bytes(forCapacity: 4096)
