/// A complete response: status, header fields and body. The server adds Date, Content-Length
/// (or chunked framing) and Connection itself.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from already-encoded JSON text.
    public static func json(_ status: HTTPStatus = .ok, _ json: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var h = headers
        h.add(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: h, body: Array(json.utf8))
    }
}

