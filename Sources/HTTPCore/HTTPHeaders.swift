/// An ordered list of header fields; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, Equatable {
    public typealias Element = (name: String, value: String)
    @usableFromInline var fields: [Element]

    public init() { fields = [] }
    public init(_ fields: [Element]) { self.fields = fields }
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    public mutating func reserveCapacity(_ count: Int) { fields.reserveCapacity(count) }

    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field of this name with one.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        fields.append((name: name, value: value))
    }

    public mutating func remove(name: String) {
        fields.removeAll { Self.equalsIgnoringCase($0.name, name) }
    }

    /// The first value of the field, or nil.
    public subscript(name: String) -> String? {
        // By index: iterating would copy (retain and release) every field's two strings, and
        // a request's handlers make a few dozen lookups.
        for i in fields.indices where Self.equalsIgnoringCase(fields[i].name, name) { return fields[i].value }
        return nil
    }

    /// Every value of the field, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    /// ASCII case-insensitive comparison; header names are ASCII tokens.
    @inlinable
    public static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        // The same spelling (most clients send the canonical one) compares as whole strings:
        // two small strings' raw bits at once.
        if a == b { return true }
        // Over contiguous bytes, without copying either string: the generic UTF8View
        // comparison costs far more per lookup. Every native or small string has them.
        let equal = a.utf8.withContiguousStorageIfAvailable { p in
            b.utf8.withContiguousStorageIfAvailable { q in
                for i in 0..<p.count where asciiLowercase(p[i]) != asciiLowercase(q[i]) { return false }
                return true
            }
        }
        if let equal, let equal { return equal }
        return a.utf8.elementsEqual(b.utf8) { asciiLowercase($0) == asciiLowercase($1) }
    }
}

/// Folds only A–Z: `| 0x20` alone would also equate `^` with `~` and `_` with DEL.
@inlinable @inline(__always)
public func asciiLowercase(_ b: UInt8) -> UInt8 {
    b &- 0x41 < 26 ? b | 0x20 : b
}
