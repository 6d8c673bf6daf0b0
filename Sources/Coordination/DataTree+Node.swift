extension DataTree {
    /// A node's stored stat: ZooKeeper's `StatPersisted`. `cversion` counts child creations only
    /// and numbers sequential children; `ephemeralOwner` holds the raw ``EphemeralType`` encoding.
    struct PersistedStat: Hashable, Sendable {
        var czxid: Int64
        var mzxid: Int64
        var ctime: Int64
        var mtime: Int64
        var version: Int32
        var cversion: Int32
        var aversion: Int32
        var ephemeralOwner: Int64
        var pzxid: Int64

        static let zero = PersistedStat(
            czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0,
            ephemeralOwner: 0, pzxid: 0)
    }

    struct Node: Equatable, Sendable {
        var data: [UInt8]
        var stat: PersistedStat
        var children: Set<NodeName>

        /// The stat as ZooKeeper's `DataNode.copyStat` shows it to clients. Java's int
        /// arithmetic wraps, and so does this.
        var clientStat: Stat {
            let numChildren = Int32(truncatingIfNeeded: children.count)
            return Stat(
                czxid: stat.czxid, mzxid: stat.mzxid, ctime: stat.ctime, mtime: stat.mtime,
                version: stat.version, cversion: stat.cversion &* 2 &- numChildren,
                aversion: stat.aversion,
                ephemeralOwner: EphemeralType(ephemeralOwner: stat.ephemeralOwner)?.clientEphemeralOwner ?? 0,
                dataLength: Int32(truncatingIfNeeded: data.count), numChildren: numChildren,
                pzxid: stat.pzxid)
        }
    }
}
