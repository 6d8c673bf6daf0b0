import Glibc

/// String comparison by UTF-8 bytes. Swift's `String ==` and `<` use canonical equivalence,
/// which would make two distinct znode names collide; ZooKeeper compares exact characters.
enum Bytewise {
    // Paths are compared in every probe of the caches' hash tables, and sibling paths share long
    // prefixes: memcmp over contiguous bytes, not a generic walk of two UTF8Views.
    static func equal(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return compare(a, b) ?? (a.utf8.elementsEqual(b.utf8) ? 0 : 1) == 0
    }

    static func less(_ a: String, _ b: String) -> Bool {
        if let order = compare(a, b) { return order < 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// memcmp order of the two strings' bytes (a shorter prefix first), or nil when either is
    /// not contiguous UTF-8 (a bridged or lazily decoded string).
    private static func compare(_ a: String, _ b: String) -> Int32? {
        withBytes(a, b) { x, y in
            let n = min(x.count, y.count)
            let order = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
            return order != 0 ? order : Int32(x.count < y.count ? -1 : x.count > y.count ? 1 : 0)
        }
    }

    /// Whether `s` starts with `prefix` and then the byte `next`.
    static func hasPrefix(_ s: String, _ prefix: String, followedBy next: UInt8) -> Bool {
        let n = prefix.utf8.count
        guard s.utf8.count > n else { return false }
        return withBytes(s, prefix) { x, y in x[n] == next && (n == 0 || memcmp(x.baseAddress!, y.baseAddress!, n) == 0) }
            ?? (s.utf8.starts(with: prefix.utf8) && s.utf8.dropFirst(n).first == next)
    }

    /// `body` over both strings' contiguous UTF-8, or nil when either has none.
    private static func withBytes<R>(
        _ a: String, _ b: String, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> R
    ) -> R? {
        a.utf8.withContiguousStorageIfAvailable { x in b.utf8.withContiguousStorageIfAvailable { y in body(x, y) } } ?? nil
    }

    static func hash(_ s: String, into hasher: inout Hasher) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            for byte in s.utf8 { hasher.combine(byte) }
        }
        // Terminates the byte run so that concatenated strings in one hasher stay distinct.
        hasher.combine(0xFF as UInt8)
    }
}

/// One child's name inside its parent, compared by bytes like ``ZNodePath``.
struct NodeName: Hashable, Comparable, Sendable {
    let string: String

    static func == (lhs: NodeName, rhs: NodeName) -> Bool { Bytewise.equal(lhs.string, rhs.string) }
    func hash(into hasher: inout Hasher) { Bytewise.hash(string, into: &hasher) }
    static func < (lhs: NodeName, rhs: NodeName) -> Bool { Bytewise.less(lhs.string, rhs.string) }
}
