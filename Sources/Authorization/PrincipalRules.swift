/// The grants that apply to one principal, compiled into a trie over path segments: literal
/// edges in a hash table, a `*` edge per node, and at each node the first grant allowing each
/// permission on the node itself (a pattern ending there) and on its whole subtree (a pattern
/// ending there in `/**`). Immutable, so a server may cache it per principal and share it.
///
/// Deciding walks the path's bytes once per trie branch it can match (a literal and a `*` edge
/// both may), and prunes any branch whose subtrie holds no grant earlier than one already
/// found: its cost follows the path and the patterns that match it, not the number of grants,
/// and it allocates nothing.
public struct PrincipalRules: Sendable {
    struct Node: Sendable {
        /// The child along `*`, or -1.
        var wildcard: Int32 = -1
        /// Whether the node has children along literal segments: a lookup in `literals` is
        /// worth hashing for.
        var hasLiterals = false
    }

    let nodes: [Node]
    /// Per node and permission (`Permission.index`), `marksPerNode` entries, each a grant
    /// index or `none`: the first grant allowing it on exactly the node, on the node and its
    /// subtree, and anywhere in the subtrie below (for pruning). `admin` is folded into each.
    let marks: [Int32]
    let literals: SegmentTable
    /// The length of the longest pattern, in segments: how many of a path's segments a
    /// decision looks up.
    let depth: Int
    /// Whether the principal holds `admin` on `/**`: it may act on other principals' device
    /// sessions.
    public let isAdministrator: Bool

    static let none = Int32.max
    static let marksPerPermission = 3
    static let marksPerNode = marksPerPermission * Permission.allCases.count
    static let exact = 0
    static let subtree = 1
    static let below = 2

    /// Whether `permission` on `path` is allowed, and by which grant (the first of the policy
    /// that allows it).
    ///
    /// `path` must be a znode path as ZooKeeper will see it: absolute, normalized and
    /// percent-decoded. Any other shape (`//`, a trailing `/`, a `.` or `..` segment) is
    /// denied, not resolved.
    public func decide(_ permission: Permission, path: String) -> Decision {
        if let decision = path.utf8.withContiguousStorageIfAvailable({ decide(permission, utf8: $0) }) {
            return decision
        }
        var path = path
        return path.withUTF8 { decide(permission, utf8: $0) }
    }

    /// Whether `permission` is allowed on `path` and on everything that is or may ever be
    /// below it: only a pattern ending in `/**` at the path or above it grants that. A
    /// recursive delete and a watch of a subtree are decided here, so that nodes created
    /// later, or not seen by the check, cannot fall outside the grant.
    public func decideSubtree(_ permission: Permission, path: String) -> Decision {
        var path = path
        return path.withUTF8 { decide(permission, utf8: $0, subtreeOnly: true) }
    }

    /// `decide(_:path:)` over the path's UTF-8 bytes where the caller holds them.
    public func decide(_ permission: Permission, utf8 path: UnsafeBufferPointer<UInt8>) -> Decision {
        decide(permission, utf8: path, subtreeOnly: false)
    }

    func decide(_ permission: Permission, utf8 path: UnsafeBufferPointer<UInt8>, subtreeOnly: Bool) -> Decision {
        // Segments past the trie's depth can meet no edge: they are checked, not recorded.
        // 24 bytes a level of the deepest pattern, on the stack: no allocation.
        withUnsafeTemporaryAllocation(of: NormalizedPath.Segment.self, capacity: depth) { segments in
            guard let count = NormalizedPath.scan(path, into: segments) else { return .denied }
            var best = Self.none
            marks.withUnsafeBufferPointer { marks in
                nodes.withUnsafeBufferPointer { nodes in
                    let walk = Walk(
                        marks: marks, nodes: nodes, literals: literals, path: path,
                        segments: UnsafeBufferPointer(segments), count: count,
                        permission: permission.index &* Self.marksPerPermission, subtreeOnly: subtreeOnly)
                    walk.search(0, segment: 0, best: &best)
                }
            }
            return best == Self.none ? .denied : .allowed(grant: Int(best))
        }
    }
}

/// One decision's search, over buffers borrowed for its length.
private struct Walk {
    let marks: UnsafeBufferPointer<Int32>
    let nodes: UnsafeBufferPointer<PrincipalRules.Node>
    let literals: SegmentTable
    let path: UnsafeBufferPointer<UInt8>
    /// The path's first segments (as many as the trie is deep).
    let segments: UnsafeBufferPointer<NormalizedPath.Segment>
    /// How many segments the path has.
    let count: Int
    /// `Permission.index * marksPerPermission`.
    let permission: Int
    /// Only grants of whole subtrees count (`decideSubtree`).
    let subtreeOnly: Bool

    /// Updates `best` with the grants for the path from `segments[i]` on, below `node`,
    /// which the segments before `i` reached. The recursion is as deep as the trie (at most
    /// `PathPattern.maxSegments`).
    func search(_ node: Int, segment i: Int, best: inout Int32) {
        let m = node &* PrincipalRules.marksPerNode &+ permission
        best = min(best, marks[m &+ PrincipalRules.subtree])
        guard i < count else {
            if !subtreeOnly { best = min(best, marks[m &+ PrincipalRules.exact]) }
            return
        }
        // A node this deep has no children (the trie is no deeper than `segments` is long).
        guard i < segments.count else { return }
        let next = i &+ 1
        if nodes[node].hasLiterals {
            let segment = segments[i]
            if let child = literals.child(
                of: node, UnsafeBufferPointer(rebasing: path[segment.start..<segment.end]), segmentHash: segment.hash),
                marks[child &* PrincipalRules.marksPerNode &+ permission &+ PrincipalRules.below] < best {
                search(child, segment: next, best: &best)
            }
        }
        let any = Int(nodes[node].wildcard)
        if any >= 0, marks[any &* PrincipalRules.marksPerNode &+ permission &+ PrincipalRules.below] < best {
            search(any, segment: next, best: &best)
        }
    }
}
