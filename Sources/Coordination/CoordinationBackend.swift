/// A node as a read returns it.
public struct NodeSnapshot: Hashable, Sendable {
    public var path: ZNodePath
    public var data: [UInt8]
    public var stat: Stat
    /// The child names, sorted, when the read asked for them.
    public var children: [String]?
    /// What kind of node it is: `stat.ephemeralOwner` shows 0 for containers and TTL nodes,
    /// as ZooKeeper shows clients, so it cannot tell.
    public var type: EphemeralType

    public init(path: ZNodePath, data: [UInt8], stat: Stat, children: [String]? = nil, type: EphemeralType? = nil) {
        self.path = path
        self.data = data
        self.stat = stat
        self.children = children
        self.type = type ?? EphemeralType(ephemeralOwner: stat.ephemeralOwner) ?? .persistent
    }
}

/// What a read found, and the index (zxid) of the state it reflects.
public struct ReadResult: Hashable, Sendable {
    /// The node, or nil when there is none.
    public var node: NodeSnapshot?
    /// The zxid of the state the answer reflects (every write up to it is included).
    public var index: Int64
    /// The index that moves when this answer would change: for a node, its mzxid (with
    /// children, the larger of mzxid and pzxid); for an absent node, the pzxid of its nearest
    /// existing ancestor, which every create or delete below it moves.
    public var changeIndex: Int64

    public init(node: NodeSnapshot?, index: Int64, changeIndex: Int64) {
        self.node = node
        self.index = index
        self.changeIndex = changeIndex
    }
}

/// Changes made durable together, in commit order.
public struct ChangeBatch: Sendable {
    public var events: [WatchEvent]
    /// The zxid of the last transaction in the batch.
    public var zxid: Int64
    /// Changes up to `zxid` may have gone unreported (a remote backend lost its connection or
    /// session): caches must be dropped, every waiter re-checked, and no feed can resume across
    /// it. A resync batch has no events, and its zxid may repeat the previous batch's.
    public var resync: Bool

    public init(events: [WatchEvent], zxid: Int64, resync: Bool = false) {
        self.events = events
        self.zxid = zxid
        self.resync = resync
    }
}

/// A device session (lease) as the backend reports it.
public struct SessionInfo: Hashable, Sendable {
    public var id: Int64
    public var timeoutMs: Int64
    /// Milliseconds until the server expires it unless renewed (the TTL is a lower bound).
    public var expiresInMs: Int64
    /// The ephemeral nodes it owns, sorted, when asked for.
    public var ephemerals: [ZNodePath]?

    public init(id: Int64, timeoutMs: Int64, expiresInMs: Int64, ephemerals: [ZNodePath]? = nil) {
        self.id = id
        self.timeoutMs = timeoutMs
        self.expiresInMs = expiresInMs
        self.ephemerals = ephemerals
    }
}

/// The backend protocol: ZooKeeper's data model and guarantees, served by the embedded store
/// or by a ZooKeeper ensemble. Writes are acknowledged only once durable; reads and change
/// batches never show a write before it is durable.
public protocol CoordinationBackend: AnyObject, Sendable {
    /// Reads without waiting, when the backend can: the embedded store always can; a remote
    /// backend answers nil and the caller uses `read`.
    func readNow(_ path: ZNodePath, children: Bool) -> ReadResult?

    /// Reads, waiting for the backend if needed.
    ///
    /// - Throws: `CoordinationError.unavailable`, `.connectionLoss`, `.operationTimeout`.
    func read(_ path: ZNodePath, children: Bool) async throws(CoordinationError) -> ReadResult

    /// Applies operations atomically (one operation is a multi of one), as `session` when it
    /// creates ephemerals. Returns once durable and once its change batch has reached the
    /// change sink (so caches the write made stale are dropped before anyone learns of it),
    /// with the results and the transaction's zxid.
    ///
    /// - Throws: `MultiFailure` naming the failing operation and its `CoordinationError`
    ///   (index -1 when the failure is not any one operation's, such as `.unavailable`).
    func commit(_ operations: [Operation], session: Int64?) async throws(MultiFailure)
        -> (results: [OperationResult], zxid: Int64)

    /// Waits until this replica has every write committed before the call (ZooKeeper's sync),
    /// and returns the index it then reflects.
    func sync(_ path: ZNodePath) async throws(CoordinationError) -> Int64

    /// Opens a device session whose owned state goes away when it is closed or not renewed
    /// within `timeoutMs`.
    ///
    /// - Throws: `.badArguments` for a timeout outside the backend's bounds; availability errors.
    func openSession(timeoutMs: Int64) async throws(CoordinationError) -> SessionInfo

    /// Renews a session for another `timeoutMs`.
    ///
    /// - Throws: `.sessionExpired` when it is unknown, closed or expired.
    func renewSession(_ id: Int64) async throws(CoordinationError) -> SessionInfo

    /// Describes a session, with the ephemerals it owns.
    ///
    /// - Throws: `.sessionExpired` when it is unknown, closed or expired.
    func session(_ id: Int64) async throws(CoordinationError) -> SessionInfo

    /// Confirms that a session lives, as a recipe does before it answers a grant: `session`
    /// without describing what it owns (which may cost a backend more reads).
    ///
    /// - Throws: `.sessionExpired` when it is unknown, closed or expired.
    func confirmSession(_ id: Int64) async throws(CoordinationError)

    /// The device sessions open now: every one in the store (embedded), or those this gateway
    /// serves (ZooKeeper). Read per session open, against `--max-sessions`: a lock and a count.
    var deviceSessionCount: Int { get }

    /// Closes a session, deleting its ephemerals in one step. Closing an unknown session is
    /// not an error.
    func closeSession(_ id: Int64) async throws(CoordinationError)

    /// Receives every change batch, in commit order, from one thread at a time. Set before the
    /// backend serves; a batch is delivered after its writes are durable.
    func setChangeSink(_ sink: @escaping @Sendable (ChangeBatch) -> Void)

    /// The index after which every change reaches the change sink: changes at or below it
    /// happened before this backend began feeding the sink, so a feed cursor older than it
    /// cannot be resumed.
    var feedStartIndex: Int64 { get }

    /// Whether the backend serves now (for `/readyz`).
    var isReady: Bool { get }

    /// Subtrees that hold the gateway's or the store's own bookkeeping (device session
    /// records, ZooKeeper's `/zookeeper`): never written through the node API, by anyone.
    var internalRoots: [ZNodePath] { get }

    /// Stops the backend: pending writes finish or fail, timers stop, files close.
    func shutdown()
}

extension CoordinationBackend {
    public func confirmSession(_ id: Int64) async throws(CoordinationError) {
        _ = try await session(id)
    }

    /// `/zkgate` (the gateway's records) and `/zookeeper` (ZooKeeper's own), on every backend,
    /// so that a tree moved from one backend to the other meets the same rule.
    public var internalRoots: [ZNodePath] { ZNodePath.defaultInternalRoots }
}

extension ZNodePath {
    /// `/zkgate` and `/zookeeper`.
    public static let defaultInternalRoots: [ZNodePath] = [
        try! ZNodePath(validating: "/zkgate"), try! ZNodePath(validating: "/zookeeper"),
    ]

    /// Whether this path is `root` or below it.
    public func isWithin(_ root: ZNodePath) -> Bool { self == root || root.isAncestor(of: self) }
}
