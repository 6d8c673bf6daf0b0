extension ZNodePath {
    /// `true` for `/`.
    public var isRoot: Bool { string.utf8.count == 1 }

    /// The parent path, or `nil` for the root. For a sequential prefix such as `/queue/` it is
    /// `/queue`, the parent of the node the create will make.
    public var parent: ZNodePath? {
        guard !isRoot else { return nil }
        let utf8 = string.utf8
        let slash = utf8.lastIndex(of: UInt8(ascii: "/"))!
        if slash == utf8.startIndex { return .root }
        return ZNodePath(unchecked: String(string[..<slash]))
    }

    /// The last segment: `config` for `/app/config`, empty for the root. For a sequential prefix
    /// it is the part the sequence number will complete (empty for `/queue/`).
    public var name: String {
        guard !isRoot else { return "" }
        let slash = string.utf8.lastIndex(of: UInt8(ascii: "/"))!
        return String(string[string.utf8.index(after: slash)...])
    }

    /// The number of segments: 0 for the root, 1 for `/a`, 2 for `/a/b` (and for the prefix `/a/`,
    /// whose node will sit at depth 2).
    public var depth: Int {
        isRoot ? 0 : string.utf8.reduce(0) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
    }

    /// The path of the child `name`.
    ///
    /// - Throws: ``CoordinationError/invalidPath(_:reason:)`` if `name` is empty, contains `/`,
    ///   is `.` or `..`, has a forbidden character, makes the path too long, or if `self` is a
    ///   sequential prefix.
    public func appending(_ name: String) throws(CoordinationError) -> ZNodePath {
        let joined = isRoot ? "/" + name : string + "/" + name
        if isSequentialPrefix {
            throw .invalidPath(joined, reason: "\(string) is a sequential prefix, not a node path")
        }
        if name.utf8.contains(UInt8(ascii: "/")) {
            throw .invalidPath(joined, reason: "name \"\(name)\" contains /")
        }
        return try ZNodePath(validating: joined)
    }

    /// `true` if `self` is a proper ancestor of `other`: the root is an ancestor of every other
    /// path, and no path is its own ancestor.
    public func isAncestor(of other: ZNodePath) -> Bool {
        if isRoot { return !other.isRoot }
        return Bytewise.hasPrefix(other.string, string, followedBy: UInt8(ascii: "/"))
    }
}
