import Foundation

/// One HTTP response as it came off the wire: parsed fields plus the raw bytes, so tests can
/// check both meaning (status, headers, decoded body) and framing (exact head, chunk sizes).
public struct HTTPTestResponse: Sendable, CustomStringConvertible {
    /// `HTTP/1.1`, as sent.
    public var version: String
    public var status: Int
    public var reason: String
    /// Header fields in arrival order, names as sent.
    public var headers: [Field]
    /// The status line, header lines and blank line, exactly as received.
    public var rawHead: [UInt8]
    /// The decoded body (chunked framing removed).
    public var body: [UInt8]
    /// The body bytes as received (with chunked framing, if any).
    public var rawBody: [UInt8]
    /// How the body was delimited.
    public var framing: Framing

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public enum Framing: Sendable, Equatable {
        /// No body by rule: HEAD, 1xx, 204, 304.
        case none
        case contentLength(Int)
        case chunked
        /// Delimited by the server closing the connection.
        case untilClose
    }

    public init(
        version: String, status: Int, reason: String = "", headers: [Field], rawHead: [UInt8] = [], body: [UInt8],
        rawBody: [UInt8]? = nil, framing: Framing = .none
    ) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.rawHead = rawHead
        self.body = body
        self.rawBody = rawBody ?? body
        self.framing = framing
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of a header, in order.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public var rawHeadText: String { String(decoding: rawHead, as: UTF8.self) }

    /// The body as a JSON object, or nil when it is not one.
    public var json: [String: any Sendable]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        return object.mapValues { value -> any Sendable in
            switch value {
            case let n as NSNumber: n.intValue
            case let s as String: s
            default: "\(value)"
            }
        }
    }

    /// The `type` member of a problem+json body.
    public var problemType: String? { json?["type"] as? String }

    /// Whether the server said it will close the connection.
    public var saysClose: Bool {
        headerValues("Connection").contains { $0.lowercased().split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "close" } }
    }

    public var description: String {
        "\(status) \(reason) headers=\(headers.map { "\($0.name): \($0.value)" }) body=\(bodyText.prefix(300))"
    }
}

/// Builds request bytes. Tests that probe the parser write their bytes by hand; the rest use
/// this so Host and Content-Length are always right.
public enum HTTPRequestBytes {
    public static func make(
        _ method: String, _ target: String, version: String = "HTTP/1.1", host: String? = "127.0.0.1",
        headers: [(String, String)] = [], body: [UInt8]? = nil
    ) -> [UInt8] {
        var text = "\(method) \(target) \(version)\r\n"
        if let host { text += "Host: \(host)\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body, !headers.contains(where: { $0.0.lowercased() == "content-length" || $0.0.lowercased() == "transfer-encoding" }) {
            text += "Content-Length: \(body.count)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8) + (body ?? [])
    }
}
