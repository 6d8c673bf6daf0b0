import Coordination
import ZooKeeperClient

extension ZooKeeperStore {
    /// One read: the node's data and stat (and children) from one state of the member's tree,
    /// and the zxid of that state as the index; a getData alone, or a multiRead with
    /// getChildren. For an absent node a multiRead reads the node again with its ancestors, so
    /// that the nearest existing one's pzxid (the change index) comes from the same state as
    /// the absence.
    ///
    /// - Throws: `.notAuthorized` for the replicas' records, which hold session passwords and
    ///   are never served, to anyone.
    public func read(_ path: ZNodePath, children: Bool) async throws(CoordinationError) -> ReadResult {
        if path.string == replicasPath || path.string.hasPrefix(replicasPath + "/") { throw .notAuthorized(path) }
        try requireHeartbeat()
        let read = try await readRemote(path, children: children)
        let regression = cache.withLock { cache in
            cache.store(NodeCache.Key(path: path, children: children), read)
            return cache.observe(read)
        }
        if let regression { report(regression) }
        return read
    }

    func readRemote(_ path: ZNodePath, children: Bool, withAncestors: Bool = false) async throws(CoordinationError)
        -> ReadResult
    {
        if !children && !withAncestors {
            // The common read: a getData is what a native client would send, with no arrays
            // of operations and results to build.
            do {
                let (data, wireStat, zxid) = try await client.getData(path.string)
                return ReadResult(node: node(path, data: data, wireStat: wireStat, children: nil), index: zxid,
                                  changeIndex: wireStat.mzxid)
            } catch .server(.noNode) {
                return try await readRemote(path, children: children, withAncestors: true)
            } catch {
                throw ZooKeeperMapping.error(error, path: path)
            }
        }
        var ops: [ReadOp] = [.getData(path.string)]
        if children { ops.append(.getChildren(path.string)) }
        if withAncestors {
            var cursor = path.parent
            while let a = cursor { ops.append(.getData(a.string)); cursor = a.parent }
        }
        let results: [ReadOpResult]
        let zxid: Int64
        do { (results, zxid) = try await client.multiRead(ops) } catch { throw ZooKeeperMapping.error(error, path: path) }
        switch results.first {
        case .data(let data, let wireStat)?:
            var names: [String]?
            if children, case .children(let list)? = results.dropFirst().first {
                // Sorted by bytes, as the embedded store and ZooKeeper's own tools list them.
                names = list.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            }
            let changeIndex = children ? max(wireStat.mzxid, wireStat.pzxid) : wireStat.mzxid
            return ReadResult(node: node(path, data: data, wireStat: wireStat, children: names), index: zxid,
                              changeIndex: changeIndex)
        case .error(.noNode)? where !withAncestors:
            return try await readRemote(path, children: children, withAncestors: true)
        case .error(.noNode)?:
            let ancestorResults = results.dropFirst(children ? 2 : 1)
            for result in ancestorResults {
                if case .data(_, let stat) = result { return ReadResult(node: nil, index: zxid, changeIndex: stat.pzxid) }
            }
            return ReadResult(node: nil, index: zxid, changeIndex: 0)
        case .error(let code)?:
            throw ZooKeeperMapping.error(code, path: path, session: nil)
        default:
            throw .unavailable("ZooKeeper answered a read of \(path) with \(results)")
        }
    }

    private func node(_ path: ZNodePath, data: [UInt8], wireStat: WireStat, children: [String]?) -> NodeSnapshot {
        var stat = ZooKeeperMapping.stat(wireStat)
        stat.ephemeralOwner = deviceOwner(of: path.string, wireOwner: stat.ephemeralOwner)
        return NodeSnapshot(path: path, data: data, stat: stat, children: children)
    }

    /// ZooKeeper shows the gateway's own session as the owner of every device ephemeral; the
    /// device session that made it is in the table.
    func deviceOwner(of path: String, wireOwner: Int64) -> Int64 {
        guard wireOwner != 0, wireOwner == client.sessionId else { return wireOwner }
        return devices.withLock { $0.owners[path] } ?? wireOwner
    }
}
