import HTTPCore
import JSON

extension HTTPResponse {
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
        for (name, json) in extra { w.key(escaping: name); w.raw(json) }
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
