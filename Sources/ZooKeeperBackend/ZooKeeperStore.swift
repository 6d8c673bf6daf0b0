import Coordination
import Dispatch
import Logging
import Reactor
import Synchronization
import TLS
import ZooKeeperClient

/// The backend protocol served by a ZooKeeper ensemble through the native client.
///
/// The gateway holds one ZooKeeper session of its own. Device sessions are records under
/// `<root>/sessions`; their ephemerals are ZooKeeper ephemerals owned by the gateway's session
/// (so the ensemble removes them if this process dies), and every write made as a device
/// session carries a check that its record still exists, so a closed or expired device session
/// can never create anything (DESIGN.md, "Sessions").
public final class ZooKeeperStore: Sendable {
    public struct Configuration: Sendable {
        /// `host:port,...[/chroot]`.
        public var connectString: String
        /// The gateway's own ZooKeeper session timeout.
        public var sessionTimeoutMs: Int32
        /// Where the gateway keeps its records (device sessions, and under an access policy
        /// their owners).
        public var recordRoot: String
        /// A running loop for the client's socket, shared with the HTTP server so that a
        /// request on that loop reaches ZooKeeper and back with no thread woken on the way;
        /// nil: a thread of the client's own. The loop must outlive `shutdown()`.
        public var loop: EventLoop?
        /// Whether this gateway is one of a set of replicas that adopt each other's ZooKeeper
        /// sessions (`ZooKeeperStore+Replicas`): every gateway on the ensemble with the same
        /// record root is then a peer.
        public var adoptsReplicas: Bool
        /// TLS to the members' secure client ports, for the gateway's session and every one it
        /// adopts; nil: plaintext.
        public var tls: TLSClientContext?
        /// Credentials sent first on every connection (`--zookeeper-auth-file`), for the
        /// gateway's session and every one it adopts.
        public var auths: [AuthPacket]
        /// What every node zkgate creates carries.
        public var acls: ZooKeeperACLs

        public init(connectString: String, sessionTimeoutMs: Int32 = 10_000, recordRoot: String = "/zkgate",
                    loop: EventLoop? = nil, adoptsReplicas: Bool = false, tls: TLSClientContext? = nil,
                    auths: [AuthPacket] = [], acls: ZooKeeperACLs = .open) {
            self.connectString = connectString
            self.sessionTimeoutMs = sessionTimeoutMs
            self.recordRoot = recordRoot
            self.loop = loop
            self.adoptsReplicas = adoptsReplicas
            self.tls = tls
            self.auths = auths
            self.acls = acls
        }

        /// A client configuration for `connectString` with this gateway's TLS and
        /// credentials.
        func client(sessionTimeoutMs: Int32) throws(ConnectString.ParseError) -> ZooKeeperClient.Configuration {
            var config = try ZooKeeperClient.Configuration(connectString, sessionTimeoutMs: sessionTimeoutMs)
            config.tls = tls
            config.auths = auths
            return config
        }
    }

    /// Device session timeouts accepted by `openSession` (the same as the embedded store's).
    public static let sessionTimeouts: ClosedRange<Int64> = 1_000...3_600_000

    let configuration: Configuration
    let client: ZooKeeperClient
    let logger: Logger
    let sessionsPath: String
    let devices = Mutex(DeviceSessionTable())
    /// The ZooKeeper sessions held here (own and adopted) and the peers' records.
    let replicas = Mutex(ReplicaTable())
    /// `heartbeatOverdue`, refreshed every 50 ms by the doubt watch: one relaxed load on the
    /// paths that consult it (every cached read among them).
    let overdue = Atomic<Bool>(false)
    /// Behind a class, not as a bare closure in the Mutex: reading a function value out of a
    /// generic container through `inout` re-wraps it in reabstraction thunks on every access,
    /// so each delivery grew the chain (and the stack) by two frames until the process died.
    let sink = Mutex<ChangeSink?>(nil)
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    let tasks = Mutex<[Task<Void, Never>]>([])
    /// Whether a read that brings a `.zxid` mark is on its way.
    let markProbe = Atomic<Bool>(false)
    let cache = Mutex(NodeCache())
    /// Batches waiting for delivery, and the writes waiting for theirs.
    let deliveries = Mutex(DeliveryQueue<UnsafeContinuation<Void, Never>>())
    /// Writes of ours on the wire: their replies label notifications, so no sync is needed.
    let writesInFlight = Atomic<Int>(0)
    /// Whether notifications wait for a mark.
    let notificationsPending = Atomic<Bool>(false)
    /// The highest zxid seen once the recursive watch was in place.
    let feedStart = Atomic<Int64>(0)
    /// Nodes the ensemble showed older than this gateway had already answered (RegressionWatch).
    let regressions = Atomic<Int>(0)

    /// Connects, waits for the session, and makes the record folders.
    ///
    /// - Throws: `CoordinationError.unavailable` when no member answers within the session
    ///   timeout, `.badArguments` for a malformed connect string.
    public init(configuration: Configuration, logger: Logger) async throws(CoordinationError) {
        self.configuration = configuration
        self.logger = logger
        sessionsPath = configuration.recordRoot + "/sessions"
        started = clock.now
        do {
            client = try ZooKeeperClient(configuration: configuration.client(sessionTimeoutMs: configuration.sessionTimeoutMs),
                                         loop: configuration.loop)
        } catch let error as ConnectString.ParseError {
            throw .badArguments("--zookeeper: \(error)")
        } catch {
            throw .unavailable("cannot start the ZooKeeper client: \(error)")
        }
        do throws(ZooKeeperError) {
            try await client.waitUntilConnected(timeoutMs: Int(configuration.sessionTimeoutMs) * 2)
            // The chroot itself is "/" to this client; it is made here if its parent exists.
            if client.configuration.connectString.chroot != nil {
                try await ensureNode("/")
            }
            for path in [configuration.recordRoot, sessionsPath] { try await ensureNode(path) }
            try await startFeed()
            feedStart.store(client.lastZxid, ordering: .relaxed)
            if configuration.adoptsReplicas { try await publishReplicaRecord() }
        } catch {
            let failure = client.lastConnectFailure
            await client.close()
            if error == .server(.noNode), let chroot = client.configuration.connectString.chroot {
                throw .unavailable("the parent of the chroot \(chroot) does not exist on the ensemble: create it first")
            }
            if error == .connectionLoss, let failure {
                throw .unavailable("ZooKeeper at \(configuration.connectString): no member reached (last attempt: \(failure))")
            }
            throw .unavailable("ZooKeeper at \(configuration.connectString): \(error)")
        }
        startSweeper()
        if configuration.adoptsReplicas {
            startHeartbeat()
            startDoubtWatch()
        }
    }

    /// Milliseconds since start, the clock device-session deadlines use.
    var nowMs: Int64 {
        let d = clock.now - started
        return d.components.seconds * 1_000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    func recordPath(_ id: Int64) -> String {
        sessionsPath + "/" + String(UInt64(bitPattern: id), radix: 16)
    }

    /// How many times the ensemble showed a node older than this gateway had already answered
    /// for it: committed transactions lost (served on /metrics as
    /// zkgate_zookeeper_regressions_total). Zero on a healthy ensemble.
    public var regressionCount: Int { regressions.load(ordering: .relaxed) }

    /// One critical line per regression, and the count. zxids in hex, as ZooKeeper logs them
    /// ("Truncating log to get in sync with the leader 0x...").
    func report(_ regression: RegressionWatch.Regression) {
        regressions.add(1, ordering: .relaxed)
        func hex(_ zxid: Int64) -> String { "0x" + String(UInt64(bitPattern: zxid), radix: 16) }
        logger.critical(
            "ZooKeeper shows a node older than this gateway already acknowledged: the ensemble lost committed transactions",
            metadata: [
                "path": "\(regression.path)",
                "acknowledgedMzxid": "\(hex(regression.acknowledged.mzxid))",
                "acknowledgedVersion": "\(regression.acknowledged.version)",
                "seenMzxid": "\(hex(regression.seen.mzxid))",
                "seenVersion": "\(regression.seen.version)",
                "seenCzxid": "\(hex(regression.seen.czxid))",
                "index": "\(hex(regression.index))",
            ])
    }
}

/// The change sink, held by reference so that it is stored once and never re-wrapped.
final class ChangeSink: Sendable {
    let deliver: @Sendable (ChangeBatch) -> Void
    init(deliver: @escaping @Sendable (ChangeBatch) -> Void) { self.deliver = deliver }
}

extension ZooKeeperStore: CoordinationBackend {
    /// The cached read, when the node has been read before and the feed keeps it current; none
    /// while the gateway's heartbeat is overdue (the cache may be behind a partition).
    public func readNow(_ path: ZNodePath, children: Bool) -> ReadResult? {
        if overdue.load(ordering: .relaxed) { return nil }
        return cache.withLock { $0.entries[NodeCache.Key(path: path, children: children)] }
    }

    public var feedStartIndex: Int64 { feedStart.load(ordering: .relaxed) }

    /// Connected, and the gateway's own session not in doubt (`sessionInDoubt`).
    public var isReady: Bool { !sessionInDoubt }

    public func setChangeSink(_ sink: @escaping @Sendable (ChangeBatch) -> Void) {
        self.sink.withLock { $0 = ChangeSink(deliver: sink) }
    }

    public func sync(_ path: ZNodePath) async throws(CoordinationError) -> Int64 {
        try requireHeartbeat()
        do { return try await client.sync(path.string) } catch { throw ZooKeeperMapping.error(error, path: path) }
    }

    /// Leaves the sessions held here to the other replicas when there are any (their records
    /// marked for handover, the connections dropped without closing, so device ephemerals
    /// live on in whichever replica adopts them); otherwise closes the gateway's ZooKeeper
    /// session, waiting up to 3 s for the ensemble to confirm, so that the device ephemerals
    /// it owns go at once, not a session timeout later.
    public func shutdown() {
        let tasks = self.tasks.withLock { t in defer { t.removeAll() }; return t }
        for task in tasks { task.cancel() }
        releaseWriters()
        let handedOver = !configuration.adoptsReplicas ? false : Self.runBlocking(timeoutMs: 3_000) { [self] in
            guard await handOver() else { return false }
            await client.abandon()
            return true
        }
        if handedOver == true {
            logger.notice("left this gateway's ZooKeeper sessions to the other replicas")
            return
        }
        if configuration.adoptsReplicas {
            // Closed, not left: nothing is there to adopt (a replica that tried would find the
            // session gone).
            _ = Self.runBlocking(timeoutMs: 1_000) { [self] in
                for id in replicas.withLock({ Array($0.held.keys) }) { await deleteReplicaRecord(id) }
            }
        }
        if !client.closeNow(timeoutMs: 3_000) {
            logger.warning("the ZooKeeper session did not close within 3 s; the ensemble will expire it")
        }
    }

    /// Runs `work` in a task and waits for it on this thread, for at most `timeoutMs`; nil when
    /// it took longer. For a process shutting down, never on a loop's thread.
    static func runBlocking<T: Sendable>(timeoutMs: Int, _ work: @escaping @Sendable () async -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<T?>(nil)
        Task {
            let value = await work()
            result.withLock { $0 = value }
            done.signal()
        }
        guard done.wait(timeout: .now() + .milliseconds(timeoutMs)) == .success else { return nil }
        return result.withLock { $0 }
    }
}

extension ZooKeeperStore {
    /// The record root (`/zkgate` unless configured) and `/zookeeper`.
    public var internalRoots: [ZNodePath] {
        var roots = ZNodePath.defaultInternalRoots
        if let records = try? ZNodePath(validating: configuration.recordRoot), !roots.contains(records) {
            roots.append(records)
        }
        return roots
    }
}
