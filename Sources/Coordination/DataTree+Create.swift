extension DataTree {
    mutating func create(
        path: ZNodePath, data: [UInt8], mode: CreateMode, ttlMs: Int64?, session: Int64?,
        _ changes: inout Changes
    ) throws(CoordinationError) -> OperationResult {
        try requireSession(session, ephemeral: mode.isEphemeral)

        // ZooKeeper aliases "/" to the root, so creating it finds a node already there.
        if path.isRoot && !mode.isSequential { throw .nodeExists(path) }
        let parentPath = path.isRoot ? ZNodePath.root : path.parent!
        guard let parent = nodes[parentPath] else { throw .noNode(path) }
        let finalPath =
            mode.isSequential
            ? ZNodePath(unchecked: path.string + Self.sequenceSuffix(parent.stat.cversion)) : path
        if nodes[finalPath] != nil { throw .nodeExists(finalPath) }
        if case .session = EphemeralType(ephemeralOwner: parent.stat.ephemeralOwner) {
            throw .noChildrenForEphemerals(finalPath)
        }

        let owner: EphemeralType =
            if mode.isEphemeral { .session(session!) }
            else if mode.isContainer { .container }
            else if let ttlMs { .ttl(ttlMs) }
            else { .persistent }
        let name = NodeName(string: finalPath.name)
        let zxid = changes.zxid
        changes.undo.append(.restore(parentPath, data: parent.data, stat: parent.stat))
        changes.undo.append(.unlink(parent: parentPath, name))
        modifyNode(at: parentPath) {
            $0.stat.cversion &+= 1
            $0.stat.pzxid = zxid
            $0.children.insert(name)
        }
        let node = Node(
            data: data,
            stat: PersistedStat(
                czxid: zxid, mzxid: zxid, ctime: changes.time, mtime: changes.time, version: 0,
                cversion: 0, aversion: 0, ephemeralOwner: owner.ephemeralOwner, pzxid: zxid),
            children: [])
        insertNode(node, at: finalPath)
        changes.undo.append(.removeInserted(finalPath))
        changes.events.append(WatchEvent(kind: .created, path: finalPath, zxid: zxid))
        changes.events.append(WatchEvent(kind: .childrenChanged, path: parentPath, zxid: zxid))
        return .created(path: finalPath, stat: node.clientStat)
    }

    /// The suffix of a sequential name: the parent's stored cversion as Java's
    /// `String.format("%010d", cversion)` writes it. After 2^31 creates under one parent the
    /// counter wraps, as ZooKeeper's int does, and the suffix turns negative: `-2147483648`
    /// (11 characters), then `-2147483647`, ..., `-000000001`. Such names sort before the
    /// positive ones, which breaks recipes that order by name, exactly as on a real ensemble.
    static func sequenceSuffix(_ counter: Int32) -> String {
        let digits = String(counter.magnitude)
        let width = counter < 0 ? 9 : 10
        let padding = String(repeating: "0", count: max(0, width - digits.count))
        return (counter < 0 ? "-" : "") + padding + digits
    }
}
