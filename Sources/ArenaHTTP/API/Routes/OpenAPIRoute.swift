/// `GET /openapi.yaml`: the API's OpenAPI 3.1 document, exactly `docs/openapi.yaml` (`OpenAPIDocument`).
extension ArenaAPI {
    func openAPIDocument() -> HTTPResponse {
        var response = HTTPResponse(status: .ok, body: .bytes(OpenAPIDocument.bytes))
        response.headers.add(name: "Content-Type", value: "application/yaml")
        return response
    }
}
