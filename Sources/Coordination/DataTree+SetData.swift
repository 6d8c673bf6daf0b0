extension DataTree {
    mutating func setData(
        path: ZNodePath, data: [UInt8], version: Int32, session: Int64?, _ changes: inout Changes
    ) throws(CoordinationError) -> OperationResult {
        try requireSession(session, ephemeral: false)
        guard let node = nodes[path] else { throw .noNode(path) }
        let newVersion = try Self.nextVersion(current: node.stat.version, expected: version, path: path)
        let zxid = changes.zxid
        let time = changes.time
        changes.undo.append(.restore(path, data: node.data, stat: node.stat))
        let stat = modifyNode(at: path) {
            $0.data = data
            $0.stat.version = newVersion
            $0.stat.mzxid = zxid
            $0.stat.mtime = time
            return $0.clientStat
        }
        changes.events.append(WatchEvent(kind: .dataChanged, path: path, zxid: zxid))
        return .setData(stat: stat)
    }

    func check(path: ZNodePath, version: Int32, session: Int64?) throws(CoordinationError) -> OperationResult {
        try requireSession(session, ephemeral: false)
        guard let node = nodes[path] else { throw .noNode(path) }
        _ = try Self.nextVersion(current: node.stat.version, expected: version, path: path)
        return .checked
    }
}
