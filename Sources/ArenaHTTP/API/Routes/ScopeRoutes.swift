import ArenaCore

/// `GET /arenas/{name}/generations`, `GET /classes`: what request scopes needed, and how big to make them.
extension ArenaAPI {
    /// The arena's last ended generations (oldest first) and the one in progress.
    func generations(_ name: String) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        let ended = entry.arena.recentGenerations
        var json = JSONWriter(reservingCapacity: 256 + 240 * ended.count)
        json.object { json in
            json.field("arena", name)
            json.field("class", entry.arenaClass)
            json.key("current")
            ArenaJSON.write(entry.arena.currentGeneration, to: &json)
            json.key("generations")
            json.array { json in
                for summary in ended { ArenaJSON.write(summary, to: &json) }
            }
        }
        return .json(json)
    }

    /// Per class: how many scopes ended, the peaks that covered 50%, 99% and 99.9% of the recent ones, and the
    /// capacity to give the class's arenas (`ScopeMetrics`).
    func classes() -> HTTPResponse {
        let advice = scopeMetrics.advice()
        var json = JSONWriter(reservingCapacity: 128 + 256 * advice.count)
        json.object { json in
            json.key("classes")
            json.array { json in
                for item in advice {
                    json.object { json in
                        json.field("class", item.arenaClass)
                        json.field("scopes", item.scopes)
                        json.field("recent_scopes", item.recentScopes)
                        json.field("limit_bytes", item.limitBytes)
                        json.field("p50_peak_bytes", item.p50)
                        json.field("p99_peak_bytes", item.p99)
                        json.field("p999_peak_bytes", item.p999)
                        json.field("recommended_capacity_bytes", item.recommendedCapacity)
                    }
                }
            }
        }
        return .json(json)
    }
}
