import ArenaCore

/// Where a reader of the event streams stands in each arena's ring: `request:12,frame:40` (the `next` of
/// `GET /events`), or one number for all arenas.
struct EventCursor: CustomStringConvertible, Equatable {
    var positions: [String: UInt64] = [:]
    /// The position of arenas the cursor does not name.
    var fallback: UInt64 = 0

    init() {}

    /// Parses a `since` parameter: empty or absent for the start, a number, or `name:seq,name:seq,...`.
    init(_ text: String?) throws(APIError) {
        guard let text, !text.isEmpty else { return }
        if let all = UInt64(text) {
            fallback = all
            return
        }
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, let position = UInt64(pieces[1]), ArenaName.isValid(String(pieces[0])) else {
                throw APIError.badRequest(
                    "query parameter 'since' must be a number or a cursor like 'request:12,frame:40', got '\(text)'",
                    code: "bad_query")
            }
            positions[String(pieces[0])] = position
        }
    }

    func position(of arena: String) -> UInt64 { positions[arena] ?? fallback }

    /// Where to continue in `ring`: a position past its newest event comes from an arena of the same name that
    /// was deleted and created again, or from before a restart, so the ring is read from its start.
    func position(of arena: String, in ring: TraceRing) -> UInt64 {
        let position = position(of: arena)
        return position > ring.lastSequence ? 0 : position
    }

    var description: String {
        positions.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}
