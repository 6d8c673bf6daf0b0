/// The snapshot encoding of a tree. Big-endian throughout; `str` and `bytes` are a u32 length
/// followed by that many bytes (UTF-8 for `str`):
///
/// ```
/// 4 bytes  magic           "ZKDT"
/// u8       format          1
/// i64      lastZxid
/// u32      sessionCount    then, by ascending id:  i64 id  i64 timeoutMs
/// u32      nodeCount       then, by path byte order (so the root first and parents before
///                          children):
///          str path  bytes data  i64 czxid  i64 mzxid  i64 ctime  i64 mtime  i32 version
///          i32 cversion  i32 aversion  i64 ephemeralOwner  i64 pzxid
/// ```
///
/// `cversion` and `ephemeralOwner` are the stored values (creations only; the raw
/// ``EphemeralType`` encoding, which carries a TTL node's TTL), as in ZooKeeper's own snapshots.
/// Child lists, `numChildren` and `dataLength` are derived, so they cannot disagree. The output
/// depends only on the tree's contents, so replaying the same log gives the same bytes.
extension DataTree {
    static let snapshotMagic: [UInt8] = Array("ZKDT".utf8)
    static let snapshotFormat: UInt8 = 1

    /// The tree as a snapshot for the data folder.
    public func snapshot() -> [UInt8] {
        var out = BinaryWriter()
        out.raw(Self.snapshotMagic)
        out.u8(Self.snapshotFormat)
        out.i64(lastZxid)
        out.u32(UInt32(sessions.count))
        for (id, timeoutMs) in sessions.sorted(by: { $0.key < $1.key }) {
            out.i64(id)
            out.i64(timeoutMs)
        }
        out.u32(UInt32(nodes.count))
        for path in nodes.keys.sorted() {
            let node = nodes[path]!
            out.string(path.string)
            out.blob(node.data)
            out.i64(node.stat.czxid)
            out.i64(node.stat.mzxid)
            out.i64(node.stat.ctime)
            out.i64(node.stat.mtime)
            out.i32(node.stat.version)
            out.i32(node.stat.cversion)
            out.i32(node.stat.aversion)
            out.i64(node.stat.ephemeralOwner)
            out.i64(node.stat.pzxid)
        }
        return out.bytes
    }

    /// Restores a tree from ``snapshot()``.
    ///
    /// - Throws: ``CoordinationError/badArguments(_:)`` naming the problem and its offset if the
    ///   bytes are truncated or followed by more, the magic or format is unknown, or the tree is
    ///   inconsistent: no root first, a bad or repeated path, a node before its parent, an
    ///   unknown or invalid `ephemeralOwner`, an ephemeral of a session not in the table, a child
    ///   of an ephemeral, or a reserved or repeated session id.
    public init(snapshot: [UInt8]) throws(CoordinationError) {
        try self.init(snapshot: snapshot[...])
    }

    /// Restores a tree from ``snapshot()`` held in part of a larger buffer.
    public init(snapshot: ArraySlice<UInt8>) throws(CoordinationError) {
        var input = BinaryReader(snapshot, record: "snapshot")
        try input.expect(Self.snapshotMagic, "magic")
        let format = try input.u8("format")
        guard format == Self.snapshotFormat else { throw input.corrupt("unknown format \(format)") }
        var tree = DataTree()
        tree.lastZxid = try input.i64("lastZxid")

        let sessionCount = try input.u32("session count")
        for _ in 0..<sessionCount {
            let start = input.offset
            let id = try input.i64("session id")
            let timeoutMs = try input.i64("session timeout")
            guard EphemeralType.isValidSessionID(id), timeoutMs > 0, tree.sessions[id] == nil else {
                throw input.corrupt("invalid or repeated session \(CoordinationError.hex(id)) at offset \(start)")
            }
            tree.sessions[id] = timeoutMs
            tree.storedBytes += Self.sessionBytes
        }

        let nodeCount = try input.u32("node count")
        guard nodeCount > 0 else { throw input.corrupt("no nodes; the root must come first") }
        for index in 0..<nodeCount {
            let start = input.offset
            let path = try input.path("node path", sequential: false)
            let data = try input.blob("node data")
            let stat = PersistedStat(
                czxid: try input.i64("czxid"), mzxid: try input.i64("mzxid"),
                ctime: try input.i64("ctime"), mtime: try input.i64("mtime"),
                version: try input.i32("version"), cversion: try input.i32("cversion"),
                aversion: try input.i32("aversion"), ephemeralOwner: try input.i64("ephemeralOwner"),
                pzxid: try input.i64("pzxid"))
            let node = Node(data: data, stat: stat, children: [])
            if let problem = tree.restore(node, at: path, first: index == 0) {
                throw input.corrupt("node \(path) at offset \(start): \(problem)")
            }
        }
        try input.finish()
        self = tree
    }

    /// Adds one decoded node, or says why it does not fit the tree built so far.
    private mutating func restore(_ node: Node, at path: ZNodePath, first: Bool) -> String? {
        guard let type = EphemeralType(ephemeralOwner: node.stat.ephemeralOwner) else {
            return "unknown ephemeralOwner \(CoordinationError.hex(node.stat.ephemeralOwner))"
        }
        if first {
            guard path.isRoot else { return "the root must come first" }
            guard type == .persistent else { return "the root must be persistent" }
            insertNode(node, at: .root)
            return nil
        }
        guard !path.isRoot, nodes[path] == nil else { return "repeated path" }
        let parentPath = path.parent!
        guard let parent = nodes[parentPath] else { return "its parent is missing or comes later" }
        if case .session = EphemeralType(ephemeralOwner: parent.stat.ephemeralOwner) {
            return "its parent is ephemeral"
        }
        switch type {
        case .session(let id) where sessions[id] == nil:
            return "its session \(CoordinationError.hex(id)) is not in the session table"
        case .ttl(let ttl) where ttl < 1:
            return "TTL \(ttl) is out of range"
        default:
            break
        }
        modifyNode(at: parentPath) { _ = $0.children.insert(NodeName(string: path.name)) }
        insertNode(node, at: path)
        return nil
    }
}
