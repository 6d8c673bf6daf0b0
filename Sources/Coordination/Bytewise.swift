/// String comparison by UTF-8 bytes. Swift's `String ==` and `<` use canonical equivalence,
/// which would make two distinct znode names collide; ZooKeeper compares exact characters.
enum Bytewise {
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
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
