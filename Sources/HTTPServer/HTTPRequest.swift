import HTTPCore
import JSON
import Reactor

/// A complete request as a handler sees it: head, whole body, and what routing found.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// Values of the route's `{name}` and `{name...}` segments, percent-decoded.
    public var pathParameters: [(String, String)]
    /// The client's address.
    public var remoteAddress: SocketAddress?
    /// The body as JSON, when something before the handler parsed it (off the event loop,
    /// for a large body); nil means not parsed yet.
    public var parsedBody: Result<JSONValue, JSONError>?

    /// The query string's parameters, parsed once.
    public let query: QueryParameters

    public init(
        head: HTTPRequestHead, body: [UInt8] = [], pathParameters: [(String, String)] = [],
        remoteAddress: SocketAddress? = nil
    ) {
        self.head = head
        self.body = body
        self.pathParameters = pathParameters
        self.remoteAddress = remoteAddress
        query = QueryParameters(raw: head.query ?? "")
    }

    public var method: HTTPMethod { head.method }
    public var headers: HTTPHeaders { head.headers }

    /// A path parameter by name.
    public func parameter(_ name: String) -> String? {
        pathParameters.first { $0.0 == name }?.1
    }

}

/// `a=1&b=two`, split over bytes once, decoded as read. Lookups scan the pairs: queries are short.
public struct QueryParameters: Sendable, Sequence {
    public let raw: Substring
    private let pairs: [(key: Substring, value: Substring)]

    public init(raw: Substring) {
        self.raw = raw
        var pairs: [(key: Substring, value: Substring)] = []
        if !raw.isEmpty {
            let utf8 = raw.utf8
            var start = utf8.startIndex
            while start < utf8.endIndex {
                let end = utf8[start...].firstIndex(of: UInt8(ascii: "&")) ?? utf8.endIndex
                if end > start {
                    let pair = raw[start..<end]
                    if let eq = pair.utf8.firstIndex(of: UInt8(ascii: "=")) {
                        pairs.append((pair[..<eq], pair[pair.utf8.index(after: eq)...]))
                    } else {
                        pairs.append((pair, ""))
                    }
                }
                start = end < utf8.endIndex ? utf8.index(after: end) : end
            }
        }
        self.pairs = pairs
    }

    /// The first value of `name`, decoded; `""` for a bare `name`; nil when absent or
    /// undecodable.
    public subscript(name: String) -> String? {
        // No iterator and no decoding of keys that cannot match: handlers look up several
        // names per request, most of them absent.
        for pair in pairs {
            let matches =
                pair.key.utf8.elementsEqual(name.utf8)
                || (pair.key.utf8.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }
                    && PercentDecoding.decodeQueryComponent(pair.key) == name)
            // An undecodable value is skipped, as iteration skips it.
            if matches, let value = PercentDecoding.decodeQueryComponent(pair.value) { return value }
        }
        return nil
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> AnyIterator<(String, String)> {
        var index = 0
        let pairs = self.pairs
        return AnyIterator {
            while index < pairs.count {
                defer { index += 1 }
                if let key = PercentDecoding.decodeQueryComponent(pairs[index].key),
                    let value = PercentDecoding.decodeQueryComponent(pairs[index].value)
                {
                    return (key, value)
                }
            }
            return nil
        }
    }
}
