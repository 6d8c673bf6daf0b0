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

    /// An RFC 9457 problem+json response.
    ///
    /// - Parameters:
    ///   - type: a stable slug; the `type` member becomes `urn:zkgate:problem:<slug>`.
    ///   - extra: further members, already JSON-encoded values keyed by name.
    public static func problem(
        _ status: HTTPStatus, type: String, title: String? = nil, detail: String, instance: String? = nil,
        extra: [(String, String)] = [], headers: HTTPHeaders = [:]
    ) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        w.key("type"); w.string(Problem.typeURI(type))
        w.key("title"); w.string(title ?? status.reason)
        w.key("status"); w.number(status.code)
        w.key("detail"); w.string(detail)
        if let instance { w.key("instance"); w.string(instance) }
        for (name, json) in extra { w.key(name); w.raw(json) }
        w.endObject()
        var h = headers
        h.add(name: "Content-Type", value: "application/problem+json")
        return HTTPResponse(status: status, headers: h, body: w.bytes)
    }

    /// The problem answer for a parse error.
    public static func problem(for error: HTTP1ParseError) -> HTTPResponse {
        problem(error.status, type: error.problemType, detail: error.detail)
    }
}

/// Problem type URIs.
public enum Problem {
    public static let prefix = "urn:zkgate:problem:"
    public static func typeURI(_ slug: String) -> String { prefix + slug }
}
