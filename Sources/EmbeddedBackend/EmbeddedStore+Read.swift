import Coordination

extension EmbeddedStore {
    public func readNow(_ path: ZNodePath, children: Bool) -> ReadResult? {
        state.withLock { s in Self.read(s.durable, path, children: children) }
    }

    public func read(_ path: ZNodePath, children: Bool) async throws(CoordinationError) -> ReadResult {
        readNow(path, children: children)!
    }

    /// Every committed write is already applied here when it is acknowledged.
    public func sync(_ path: ZNodePath) async throws(CoordinationError) -> Int64 {
        state.withLock { $0.durable.lastZxid }
    }

    static func read(_ tree: DataTree, _ path: ZNodePath, children: Bool) -> ReadResult {
        guard let node = tree.node(at: path) else {
            // Absent: its nearest existing ancestor's pzxid moves when anything is created below.
            var ancestor = path.parent
            while let a = ancestor, tree.node(at: a) == nil { ancestor = a.parent }
            let changeIndex = ancestor.flatMap { tree.node(at: $0)?.stat.pzxid } ?? 0
            return ReadResult(node: nil, index: tree.lastZxid, changeIndex: changeIndex)
        }
        let snapshot = NodeSnapshot(
            path: path, data: node.data, stat: node.stat, children: children ? tree.children(of: path) : nil,
            type: tree.ephemeralType(at: path))
        let changeIndex = children ? max(node.stat.mzxid, node.stat.pzxid) : node.stat.mzxid
        return ReadResult(node: snapshot, index: tree.lastZxid, changeIndex: changeIndex)
    }
}
