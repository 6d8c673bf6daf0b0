extension DataTree {
    mutating func delete(
        path: ZNodePath, version: Int32, session: Int64?, _ changes: inout Changes
    ) throws(CoordinationError) -> OperationResult {
        try requireSession(session, ephemeral: false)
        if path.isRoot { throw .badArguments("the root node cannot be deleted") }
        guard let node = nodes[path] else { throw .noNode(path) }
        _ = try Self.nextVersion(current: node.stat.version, expected: version, path: path)
        if !node.children.isEmpty { throw .notEmpty(path) }
        unlinkLeaf(at: path, &changes)
        return .deleted
    }

    /// Removes a node without children and fires its events. The parent's stored cversion
    /// stays as it is (it counts creations; the reported one rises through `numChildren`), and
    /// its pzxid moves to this zxid.
    mutating func unlinkLeaf(at path: ZNodePath, _ changes: inout Changes) {
        let parentPath = path.parent!
        let name = NodeName(string: path.name)
        let zxid = changes.zxid
        let parent = nodes[parentPath]!
        changes.undo.append(.restore(parentPath, data: parent.data, stat: parent.stat))
        changes.undo.append(.relink(parent: parentPath, name))
        modifyNode(at: parentPath) {
            $0.children.remove(name)
            if zxid > $0.stat.pzxid { $0.stat.pzxid = zxid }
        }
        changes.undo.append(.reinsert(path, removeNode(at: path)))
        changes.events.append(WatchEvent(kind: .deleted, path: path, zxid: zxid))
        changes.events.append(WatchEvent(kind: .childrenChanged, path: parentPath, zxid: zxid))
    }
}
