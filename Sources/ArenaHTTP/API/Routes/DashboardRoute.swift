/// `GET /`: the dashboard page (see `DashboardPage`).
extension ArenaAPI {
    func dashboard(_ request: HTTPRequest) -> HTTPResponse {
        var response = HTTPResponse(status: .ok, body: .bytes(DashboardPage.html))
        response.headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        response.headers.add(name: "Cache-Control", value: "no-cache")
        return response
    }
}
