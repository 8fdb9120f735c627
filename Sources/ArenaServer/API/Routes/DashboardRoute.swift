/// `GET /`: an index of the API until the dashboard page lands.
extension ArenaAPI {
    func dashboard(_ request: HTTPRequest) -> HTTPResponse {
        .text("""
            arena-server: named bump arenas over HTTP. Routes:
              GET  /healthz  /metrics  /arenas  /arenas/{name}  /arenas/{name}/events  /events
              POST /arenas  /arenas/{name}/allocations  /arenas/{name}/blobs  /arenas/{name}/reset
              POST /arenas/{name}/checkpoints  /arenas/{name}/rewind  /reset
              DELETE /arenas/{name}
            See README.md for examples.

            """)
    }
}
