/// A JSON value (RFC 8259). Numbers keep their text, so a value read and written back is
/// unchanged (no rounding through Double); objects keep their members' order.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text as written, already validated against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public init(_ value: Int) { self = .number(String(value)) }
    public init(_ value: Int64) { self = .number(String(value)) }
    public init(_ value: String) { self = .string(value) }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var isNull: Bool { self == .null }

    /// The number as an Int64 when it is an integer in range (no fraction or exponent).
    public var int64Value: Int64? {
        guard case .number(let text) = self else { return nil }
        return Int64(text)
    }

    /// The number as a Double.
    public var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    /// The name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A JSON object: members in the order they were written, names unique.
public struct JSONObject: Equatable, Sendable, Sequence {
    public private(set) var members: [(name: String, value: JSONValue)]

    /// The members in order; a name given again replaces the earlier value in its place.
    /// Linear: names are compared by a scan for small objects, through a table for larger ones.
    public init(_ members: [(String, JSONValue)] = []) {
        self.members = []
        if members.count <= JSONParser.scanMembers {
            for (name, value) in members { self[name] = value }
            return
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(members.count)
        self.members.reserveCapacity(members.count)
        for (name, value) in members {
            if let k = index[name] {
                self.members[k].value = value
            } else {
                index[name] = self.members.count
                self.members.append((name, value))
            }
        }
    }

    /// Members whose names the caller knows to be unique (the parser has checked them).
    init(uniqueMembers: [(name: String, value: JSONValue)]) {
        members = uniqueMembers
    }

    public subscript(name: String) -> JSONValue? {
        get { members.first { $0.name == name }?.value }
        set {
            if let i = members.firstIndex(where: { $0.name == name }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((name, newValue))
            }
        }
    }

    public var names: [String] { members.map(\.name) }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public func makeIterator() -> IndexingIterator<[(name: String, value: JSONValue)]> { members.makeIterator() }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && lhs.members.elementsEqual(rhs.members) { $0.name == $1.name && $0.value == $1.value }
    }
}
