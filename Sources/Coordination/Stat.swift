/// A node's metadata as a ZooKeeper client sees it, with ZooKeeper's field names and Java types.
///
/// Two fields are views, not stored values, exactly as ZooKeeper's `DataNode.copyStat` presents
/// them: `cversion` counts child creations and deletions (ZooKeeper stores only creations and
/// reports `2 × creations − numChildren`), and `ephemeralOwner` is the owning session for an
/// ephemeral node and 0 for every other node, containers and TTL nodes included (their type is
/// available from ``DataTree/ephemeralType(at:)``).
public struct Stat: Hashable, Sendable {
    /// The zxid of the transaction that created the node.
    public var czxid: Int64
    /// The zxid of the transaction that last set the node's data (its creation, if none).
    public var mzxid: Int64
    /// Creation time, in milliseconds since the Unix epoch.
    public var ctime: Int64
    /// Time of the last data change, in milliseconds since the Unix epoch.
    public var mtime: Int64
    /// Number of data changes. Compare-and-set uses it (`-1` matches any version).
    public var version: Int32
    /// Number of child changes (creations plus deletions).
    public var cversion: Int32
    /// Number of ACL changes; zkgate never changes ACLs, so it stays 0.
    public var aversion: Int32
    /// The owning session of an ephemeral node, otherwise 0.
    public var ephemeralOwner: Int64
    /// Length of the data in bytes.
    public var dataLength: Int32
    /// Number of children.
    public var numChildren: Int32
    /// The zxid of the last transaction that created or deleted a child.
    public var pzxid: Int64

    public init(
        czxid: Int64, mzxid: Int64, ctime: Int64, mtime: Int64, version: Int32, cversion: Int32,
        aversion: Int32, ephemeralOwner: Int64, dataLength: Int32, numChildren: Int32, pzxid: Int64
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }
}
