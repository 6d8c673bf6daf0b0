/// How a request's body is delimited on the wire.
public enum HTTPBodyFraming: Equatable, Sendable {
    case none
    case length(Int)
    case chunked
}

/// A parsed request line and header section.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    /// The request-target as sent: origin-form (`/a/b?x=1`), `*`, or absolute-form.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// Whether the connection may carry another request after this one.
    public var keepAlive: Bool
    /// Whether the client waits for `100 Continue` before sending the body.
    public var expectContinue: Bool
    public var framing: HTTPBodyFraming

    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
        keepAlive: Bool = true, expectContinue: Bool = false, framing: HTTPBodyFraming = .none
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.keepAlive = keepAlive
        self.expectContinue = expectContinue
        self.framing = framing
    }

    /// The path part of the target (absolute-form reduced to its path), without the query.
    public var path: Substring {
        // Scanned as UTF-8 (the target is validated ASCII), not as Characters: this runs per request.
        if target == "*" { return "*" }
        var t = target
        let (start, end) = t.withUTF8 { b -> (Int, Int) in
            var start = 0
            if b.first != UInt8(ascii: "/") {
                // absolute-form: skip scheme://authority
                var i = 0
                while i + 2 < b.count && !(b[i] == UInt8(ascii: ":") && b[i + 1] == UInt8(ascii: "/") && b[i + 2] == UInt8(ascii: "/")) { i += 1 }
                i += 3
                // The authority ends at the path's `/` or at the query's `?`.
                while i < b.count && b[i] != UInt8(ascii: "/") && b[i] != UInt8(ascii: "?") { i += 1 }
                start = i
            }
            var end = start
            while end < b.count && b[end] != UInt8(ascii: "?") { end += 1 }
            return (start, end)
        }
        if start >= end { return "/" }
        let u = target.utf8
        return target[u.index(u.startIndex, offsetBy: start)..<u.index(u.startIndex, offsetBy: end)]
    }

    /// The raw query string after `?`, or nil.
    public var query: Substring? {
        var t = target
        guard let offset = t.withUTF8({ $0.firstIndex(of: UInt8(ascii: "?")) }) else { return nil }
        let u = target.utf8
        return target[u.index(u.startIndex, offsetBy: offset + 1)...]
    }
}
