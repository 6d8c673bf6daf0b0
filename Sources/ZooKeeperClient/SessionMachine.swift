/// The ZooKeeper session as a sans-IO state machine: it is fed socket events, packets and the
/// clock, and answers with actions for the I/O layer to perform. It never touches a socket or
/// reads a clock, so every path (handshake, pipelining, pings, failover, zxid refusal, watch
/// restore, expiry) is tested by driving it directly.
///
/// Rules it enforces (PROTOCOL-NOTES A):
/// - on (re)connect it sends only the ConnectRequest and waits for its reply, then auth packets,
///   then SetWatches, then queued requests;
/// - replies match requests in FIFO order by xid; any mismatch drops the connection;
/// - requests in flight when a connection drops fail with `connectionLoss` and are never
///   replayed; requests not yet sent wait for the next connection until their deadline;
/// - lastZxid only moves forward, only from normal replies, and a member that refuses it (closes
///   during the handshake) is skipped.
/// A session's id and password, enough to attach to it from another connection or process.
public struct SessionCredentials: Sendable, Equatable {
    public var sessionId: Int64
    public var password: [UInt8]

    public init(sessionId: Int64, password: [UInt8]) {
        self.sessionId = sessionId
        self.password = password
    }
}

public struct SessionMachine: Sendable {
    public typealias RequestID = UInt64

    public struct Configuration: Sendable {
        public var hosts: [HostAddress]
        /// Requested session timeout (ms); the server clamps it to [2, 20] × tickTime.
        public var sessionTimeoutMs: Int32
        public var allowReadOnly: Bool
        public var maxPacketLength: Int
        /// Requests on the wire at once; the rest queue. ZooKeeper's globalOutstandingLimit is
        /// 1000 per server, so a client must stay well below it.
        public var maxInFlight: Int
        /// Path characters per SetWatches packet (Java uses 128 KB).
        public var watchRestoreChunkBytes: Int
        /// Pause after every member has been tried once (Java: 1 s).
        public var passDelayNs: UInt64
        /// A session made elsewhere to attach to (its id and password), instead of a new one:
        /// how a process takes over a session whose owner died, its ephemerals and their czxids
        /// unchanged. The ensemble then drops the connection of any other client attached to it.
        public var attach: SessionCredentials?
        /// Whether an expired session ends the machine (`.expired`, then `.closed`) instead of
        /// starting a new session: an attached session's work ends with it.
        public var endsOnExpiry: Bool
        /// Pause before reconnecting when a connection that was up drops (0: at once). For an
        /// attached session: the ensemble closes it when the session's owner attaches again,
        /// and attaching back at once would take the session from the owner in turn, round and
        /// round; the pause gives the layer above time to learn who holds it.
        public var reconnectPauseNs: UInt64
        /// Credentials sent first on every connection, before anything else (ZooKeeper keeps
        /// authentication per connection, not per session): the client's identity from the
        /// start, also for a session it attaches to.
        public var auths: [AuthPacket]

        public init(hosts: [HostAddress], sessionTimeoutMs: Int32 = 10_000, allowReadOnly: Bool = false,
                    maxPacketLength: Int = Int(Jute.maxPacketLength), maxInFlight: Int = 512,
                    watchRestoreChunkBytes: Int = 128 * 1024, passDelayNs: UInt64 = 1_000_000_000) {
            self.hosts = hosts; self.sessionTimeoutMs = sessionTimeoutMs; self.allowReadOnly = allowReadOnly
            self.maxPacketLength = maxPacketLength; self.maxInFlight = maxInFlight
            self.watchRestoreChunkBytes = watchRestoreChunkBytes; self.passDelayNs = passDelayNs
            attach = nil
            endsOnExpiry = false
            reconnectPauseNs = 0
            auths = []
        }
    }

    /// A request as the layer above hands it over: the op code, its encoded body, and the watch
    /// it leaves on the server when it succeeds.
    public struct Request: Sendable {
        public var id: RequestID
        public var op: OpCode
        public var body: [UInt8]
        public var watch: WatchRegistry.Registration?
        public init(id: RequestID, op: OpCode, body: [UInt8], watch: WatchRegistry.Registration? = nil) {
            self.id = id; self.op = op; self.body = body; self.watch = watch
        }
    }

    /// A successful reply: the zxid the server stamped on it and the body bytes.
    public struct Reply: Equatable, Sendable {
        public var zxid: Int64
        public var body: ArraySlice<UInt8>
        /// Whether the reply was sent in commit order (writes and sync): then every
        /// notification for a transaction at or below `zxid` came before it, and none after.
        /// Read replies are sent beside the commit pipeline and may carry a lower zxid than a
        /// notification already sent.
        public var ordered: Bool

        public init(zxid: Int64, body: ArraySlice<UInt8>, ordered: Bool = false) {
            self.zxid = zxid; self.body = body; self.ordered = ordered
        }
    }

    public enum Action: Equatable, Sendable {
        /// Open a TCP connection to this member, then call `connectionEstablished` or
        /// `connectionFailed`.
        case connect(HostAddress)
        case send([UInt8])
        /// Close the current connection (no `connectionFailed` call is expected for it).
        case closeConnection
        case complete(RequestID, Result<Reply, ZooKeeperError>)
        case event(WatcherEvent)
        case state(SessionState)
    }

    enum Phase: Equatable {
        case idle
        case connecting(since: UInt64)
        case handshaking(since: UInt64)
        case connected
        case waiting(until: UInt64)
        case closing
        case closed
        case authFailed
    }

    struct Pending: Sendable {
        var request: Request
        var xid: Int32
    }

    struct Queued: Sendable {
        var request: Request
        var deadline: UInt64
    }

    public let configuration: Configuration
    var phase: Phase = .idle
    var hosts: [HostAddress]
    var nextHost = 0
    /// The member of the current (or latest) connection attempt.
    public internal(set) var currentHost: HostAddress?
    var attemptsThisPass = 0
    public internal(set) var sessionId: Int64 = 0
    var password = [UInt8](repeating: 0, count: 16)
    public internal(set) var lastZxid: Int64 = 0
    /// The timeout the server granted, or the requested one before the first handshake.
    public internal(set) var negotiatedTimeoutMs: Int32
    public internal(set) var readOnly = false
    var xid: Int32 = 0
    var inFlight: [Pending] = []
    var inFlightHead = 0
    var queued: [Queued] = []
    var queuedHead = 0
    var auths: [AuthPacket] = []
    /// addAuth calls awaiting their reply; auth replies may overtake queued replies.
    var authWaiters: [RequestID] = []
    public internal(set) var watches = WatchRegistry()
    var lastSend: UInt64 = 0
    var lastReceive: UInt64 = 0
    /// When members began closing on our ConnectRequest. That is what a member behind our
    /// zxid does, but also one without a quorum, so after a session timeout of it the next
    /// handshake sends lastZxidSeen 0: a wiped ensemble then answers "expired" itself, while a
    /// member without a quorum just closes again and the session is kept.
    var refusingSince: UInt64?
    /// Whether the handshake in progress sent lastZxidSeen 0 for that reason.
    var probingForWipe = false
    /// Auth replies owed to credentials re-sent on reconnect, which nobody waits for.
    var authRepliesToSkip = 0

    /// `shuffle` orders the members (pass a seeded one in tests); the order is then kept.
    public init(configuration: Configuration, shuffle: ([HostAddress]) -> [HostAddress] = { $0.shuffled() }) {
        precondition(!configuration.hosts.isEmpty, "a session needs at least one host")
        self.configuration = configuration
        self.hosts = shuffle(configuration.hosts)
        self.negotiatedTimeoutMs = configuration.sessionTimeoutMs
        self.auths = configuration.auths
        if let attach = configuration.attach {
            sessionId = attach.sessionId
            password = attach.password
        }
    }

    /// The session's id and password while it has one: what another process needs to attach
    /// to it (a secret: whoever holds it acts as this session).
    public var credentials: SessionCredentials? {
        sessionId == 0 ? nil : SessionCredentials(sessionId: sessionId, password: password)
    }

    /// Whether the machine reached a state it never leaves.
    public var isTerminal: Bool { phase == .closed || phase == .authFailed }
    public var isConnected: Bool { phase == .connected }
    /// Requests on the wire, unanswered.
    public var inFlightCount: Int { inFlight.count - inFlightHead }

    var timeoutNs: UInt64 { UInt64(max(negotiatedTimeoutMs, 1)) * 1_000_000 }
    /// Nothing heard for this long means the connection is dead (Java: 2/3 of the timeout).
    var readTimeoutNs: UInt64 { timeoutNs * 2 / 3 }
    /// Idle this long (on the send side) sends a ping: half the read timeout.
    var pingIntervalNs: UInt64 { readTimeoutNs / 2 }
    /// Each connect attempt gets the timeout divided among the members.
    var connectTimeoutNs: UInt64 { max(timeoutNs / UInt64(hosts.count), 500_000_000) }

    /// Begins connecting.
    public mutating func start(now: UInt64) -> [Action] {
        guard phase == .idle else { return [] }
        return [.state(.connecting)] + beginAttempt(now: now)
    }

    mutating func beginAttempt(now: UInt64) -> [Action] {
        if attemptsThisPass >= hosts.count {
            attemptsThisPass = 0
            phase = .waiting(until: now + configuration.passDelayNs)
            return []
        }
        let host = hosts[nextHost]
        currentHost = host
        nextHost = (nextHost + 1) % hosts.count
        attemptsThisPass += 1
        phase = .connecting(since: now)
        return [.connect(host)]
    }

    /// The earliest time `tick` has work to do, or nil when nothing is timed.
    public func nextDeadline() -> UInt64? {
        var deadline: UInt64?
        func consider(_ t: UInt64) { deadline = min(deadline ?? t, t) }
        switch phase {
        case .connecting(let since), .handshaking(let since): consider(since + connectTimeoutNs)
        case .waiting(let until): consider(until)
        case .connected, .closing:
            consider(lastSend + pingIntervalNs)
            consider(lastReceive + readTimeoutNs)
        default: break
        }
        if queuedHead < queued.count { consider(queued[queuedHead].deadline) }
        return deadline
    }
}
