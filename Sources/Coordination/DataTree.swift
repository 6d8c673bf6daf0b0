/// The in-memory ZooKeeper data tree, with the session table, as a value type.
///
/// Every backend shares this model: the embedded store keeps one and feeds it transactions from
/// its write-ahead log, and tests compare it with a real ensemble. Changes go through
/// ``apply(_:zxid:time:)`` only, which follows ZooKeeper's `PrepRequestProcessor` and `DataTree`
/// to the error code and stat field. The tree starts with an empty root and no `/zookeeper`
/// subtree (that is the ensemble's own, and zkgate neither shows nor needs it).
public struct DataTree: Equatable, Sendable {
    /// The largest node data accepted, in bytes: kept safely under ZooKeeper's default
    /// `jute.maxbuffer` (1,048,575 bytes for a whole request, path and framing included), so data
    /// that fits here also fits through a real ensemble.
    public static let maxDataSize = 1_000_000

    var nodes: [ZNodePath: Node]
    /// Live sessions and their timeouts in milliseconds.
    public internal(set) var sessions: [Int64: Int64]
    /// The zxid of the last transaction applied successfully (0 for a new tree).
    public internal(set) var lastZxid: Int64
    /// The tree's size as a store counts it against its quota: exactly the length of
    /// ``snapshot()`` (each node's path, data and stat fields with their framing, each session,
    /// the header), kept up to date by every change, so reading it costs nothing.
    public internal(set) var storedBytes: Int

    // Derived from `nodes`, kept so that expiry and session close need not scan the tree.
    // Sets are removed when they empty, so two trees with equal nodes compare equal.
    var ephemeralIndex: [Int64: Set<ZNodePath>]
    var containers: Set<ZNodePath>
    var ttlNodes: Set<ZNodePath>

    /// An empty tree: only the root, with an all-zero stat, and no sessions.
    public init() {
        nodes = [.root: Node(data: [], stat: .zero, children: [])]
        sessions = [:]
        lastZxid = 0
        storedBytes = Self.snapshotHeaderBytes + Self.nodeBytes(path: .root, dataCount: 0)
        ephemeralIndex = [:]
        containers = []
        ttlNodes = []
    }

    /// The node's data and its stat as a client sees it, or `nil` if there is no node.
    public func node(at path: ZNodePath) -> (data: [UInt8], stat: Stat)? {
        guard let node = nodes[path] else { return nil }
        return (node.data, node.clientStat)
    }

    /// The node's child names in byte order, or `nil` if there is no node.
    public func children(of path: ZNodePath) -> [String]? {
        guard let node = nodes[path] else { return nil }
        return node.children.sorted().map(\.string)
    }

    /// What kind of node is at `path` (including a TTL node's TTL), or `nil` if there is none.
    /// ``Stat`` hides this for containers and TTL nodes, as ZooKeeper does.
    public func ephemeralType(at path: ZNodePath) -> EphemeralType? {
        guard let node = nodes[path] else { return nil }
        return EphemeralType(ephemeralOwner: node.stat.ephemeralOwner)
    }

    /// The ephemeral nodes a live session owns, in byte order; `nil` if the session is not live.
    public func ephemerals(of session: Int64) -> [ZNodePath]? {
        guard sessions[session] != nil else { return nil }
        return (ephemeralIndex[session] ?? []).sorted()
    }

    /// The number of nodes, the root included.
    public var nodeCount: Int { nodes.count }
}
