/// Why bytes are not a JSON document, with the byte offset where that became clear.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure: the text is not JSON, or it is too big for the parser's limits.
    public enum Kind: Equatable, Sendable {
        /// The bytes break RFC 8259 (or a rule of ours, such as unique member names).
        case syntax
        /// The document exceeds one of `JSONParser.Limits`, whose value was `max`.
        case limitExceeded(JSONLimit, max: Int)
    }

    public let kind: Kind
    public let offset: Int
    public let reason: String

    /// A syntax error.
    public init(offset: Int, reason: String) {
        kind = .syntax
        self.offset = offset
        self.reason = reason
    }

    /// A document over `limit`, which is `max`, found at `offset`.
    public static func limitExceeded(_ limit: JSONLimit, max: Int, offset: Int) -> JSONError {
        JSONError(kind: .limitExceeded(limit, max: max), offset: offset, reason: limit.reason(max))
    }

    private init(kind: Kind, offset: Int, reason: String) {
        self.kind = kind
        self.offset = offset
        self.reason = reason
    }

    /// The limit exceeded and its value, or nil for a syntax error.
    public var limitExceeded: (limit: JSONLimit, max: Int)? {
        if case .limitExceeded(let limit, let max) = kind { (limit, max) } else { nil }
    }

    public var description: String { "\(reason) at byte \(offset)" }
}

/// One of the limits in `JSONParser.Limits`.
public enum JSONLimit: Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// Nesting of arrays and objects.
    case depth
    /// Members of one object.
    case members
    /// Values in the whole document: scalars, arrays and objects, the outermost included.
    case elements
    /// UTF-8 bytes of one string (a member name or a string value), after unescaping.
    case stringBytes

    /// The name of the `JSONParser.Limits` property, as errors and problem answers give it.
    public var name: String {
        switch self {
        case .depth: "maxDepth"
        case .members: "maxMembers"
        case .elements: "maxElements"
        case .stringBytes: "maxStringBytes"
        }
    }

    /// What exceeding the limit means, for messages.
    func reason(_ max: Int) -> String {
        switch self {
        case .depth: "nesting deeper than \(name) (\(max))"
        case .members: "an object with more members than \(name) (\(max))"
        case .elements: "more values than \(name) (\(max))"
        case .stringBytes: "a string longer than \(name) (\(max) bytes)"
        }
    }

    /// What is counted, for messages.
    public var description: String {
        switch self {
        case .depth: "nesting depth"
        case .members: "members in one object"
        case .elements: "values in the document"
        case .stringBytes: "bytes in one string"
        }
    }
}
