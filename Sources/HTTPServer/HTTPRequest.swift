import HTTPCore
import Reactor

/// A complete request as a handler sees it: head, whole body, and what routing found.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// Values of the route's `{name}` and `{name...}` segments, percent-decoded.
    public var pathParameters: [(String, String)]
    /// The client's address.
    public var remoteAddress: SocketAddress?

    public init(
        head: HTTPRequestHead, body: [UInt8] = [], pathParameters: [(String, String)] = [],
        remoteAddress: SocketAddress? = nil
    ) {
        self.head = head
        self.body = body
        self.pathParameters = pathParameters
        self.remoteAddress = remoteAddress
    }

    public var method: HTTPMethod { head.method }
    public var headers: HTTPHeaders { head.headers }

    /// A path parameter by name.
    public func parameter(_ name: String) -> String? {
        pathParameters.first { $0.0 == name }?.1
    }

    /// The query string's parameters.
    public var query: QueryParameters { QueryParameters(raw: head.query ?? "") }
}

/// `a=1&b=two` parsed on demand; lookups decode only what they touch.
public struct QueryParameters: Sendable, Sequence {
    public let raw: Substring

    /// The first value of `name`, decoded; `""` for a bare `name`; nil when absent or
    /// undecodable.
    public subscript(name: String) -> String? {
        for (key, value) in self where key == name { return value }
        return nil
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> AnyIterator<(String, String)> {
        var pairs = raw.split(separator: "&", omittingEmptySubsequences: true).makeIterator()
        return AnyIterator {
            while let pair = pairs.next() {
                let eq = pair.firstIndex(of: "=")
                let rawKey = eq.map { pair[..<$0] } ?? pair
                let rawValue = eq.map { pair[pair.index(after: $0)...] } ?? ""
                if let key = PercentDecoding.decodeQueryComponent(rawKey),
                    let value = PercentDecoding.decodeQueryComponent(rawValue)
                {
                    return (key, value)
                }
            }
            return nil
        }
    }
}
