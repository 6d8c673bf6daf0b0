import Dispatch
import Reactor
import TLS
import SystemCalls
import Synchronization

/// A native ZooKeeper client: one session, pipelined requests on one connection, failover
/// between members without losing the session, and watches restored after a reconnect.
///
/// The I/O runs on an event loop thread of its own (or a loop passed in); every method may be
/// called from any task. Results arrive through async/await and watch events through
/// `events()`; no caller code runs inside the driver's handling of the socket (a caller's task
/// resumes as a job of its own, on the loop only when its executor preference says so).
public final class ZooKeeperClient: Sendable {
    public struct Configuration: Sendable {
        public var connectString: ConnectString
        public var sessionTimeoutMs: Int32
        public var allowReadOnly: Bool
        public var maxInFlight: Int
        /// A session made by another client to attach to, instead of starting one
        /// (`SessionMachine.Configuration.attach`); such a client ends when its session expires.
        public var attach: SessionCredentials?
        /// Pause before reconnecting after a connection that was up drops
        /// (`SessionMachine.Configuration.reconnectPauseNs`); 0, at once, by default.
        public var reconnectPauseMs: Int
        /// TLS to every member (their secure client ports): the server's certificate checked
        /// against the context's CAs and the member's name, a client certificate presented
        /// when configured. nil: plaintext.
        public var tls: TLSClientContext?
        /// Credentials (`digest` with `user:password`) sent first on every connection; for
        /// credentials known from the start, where `addAuth` adds them later.
        public var auths: [AuthPacket]

        public init(connectString: ConnectString, sessionTimeoutMs: Int32 = 10_000, allowReadOnly: Bool = false,
                    maxInFlight: Int = 512, attach: SessionCredentials? = nil, reconnectPauseMs: Int = 0) {
            self.connectString = connectString; self.sessionTimeoutMs = sessionTimeoutMs
            self.allowReadOnly = allowReadOnly; self.maxInFlight = maxInFlight; self.attach = attach
            self.reconnectPauseMs = reconnectPauseMs
            self.tls = nil
            self.auths = []
        }

        /// - Throws: `ConnectString.ParseError` for a malformed connect string.
        public init(_ connectString: String, sessionTimeoutMs: Int32 = 10_000) throws(ConnectString.ParseError) {
            self.init(connectString: try ConnectString(parsing: connectString), sessionTimeoutMs: sessionTimeoutMs)
        }
    }

    public let configuration: Configuration
    let loop: EventLoop

    /// The client's own loop, as a task executor: work that consumes the client's events (a
    /// change feed) runs there, next to the socket, instead of being handed to the global pool
    /// for every notification.
    public var executor: any TaskExecutor { loop }
    let thread: EventLoopThread?
    let driver: ClientDriver
    let published = PublishedState()
    let ids = Atomic<UInt64>(1)
    /// Set once the loop thread is told to stop; jobs are handed to the loop under this lock,
    /// so none is queued behind the stop and lost.
    let stopped = Mutex(false)

    /// Starts connecting at once; use `waitUntilConnected` to wait for the session.
    ///
    /// - Parameter loop: an event loop to share (its thread must be running); by default the
    ///   client starts a thread of its own.
    /// - Throws: `SystemError` when the loop or its thread cannot be created.
    public convenience init(configuration: Configuration, loop: EventLoop? = nil) throws(SystemError) {
        try self.init(configuration: configuration, loop: loop, resolve: nil)
    }

    /// `resolve` replaces the host-name lookup (tests play a name server with it).
    init(configuration: Configuration, loop: EventLoop?,
         resolve: ((HostAddress, @escaping @Sendable (HostResolver.Outcome) -> Void) -> Void)?) throws(SystemError) {
        self.configuration = configuration
        var machineConfiguration = SessionMachine.Configuration(
            hosts: configuration.connectString.hosts, sessionTimeoutMs: configuration.sessionTimeoutMs,
            allowReadOnly: configuration.allowReadOnly, maxInFlight: configuration.maxInFlight)
        machineConfiguration.attach = configuration.attach
        machineConfiguration.endsOnExpiry = configuration.attach != nil
        machineConfiguration.reconnectPauseNs = UInt64(max(configuration.reconnectPauseMs, 0)) * 1_000_000
        machineConfiguration.auths = configuration.auths
        let machine = SessionMachine(configuration: machineConfiguration)
        if let loop {
            self.loop = loop
            self.thread = nil
        } else {
            let own = try EventLoop()
            self.loop = own
            self.thread = try EventLoopThread(loop: own, name: "zk-client")
        }
        driver = ClientDriver(loop: self.loop, machine: machine, published: published,
                              chroot: configuration.connectString.chroot, tls: configuration.tls)
        let driver = self.driver
        if let resolve { driver.resolve = resolve }
        self.loop.execute {
            driver.installFlushHook()
            driver.perform(driver.machine.start(now: driver.now))
        }
    }

    deinit {
        // Dropped without close(): end the session politely and stop our own thread (not
        // joined here, as deinit may run on any thread, even the loop's own).
        let driver = self.driver
        let ownThread = thread != nil
        onLoop(else: {}) {
            driver.perform(driver.machine.close(now: driver.now))
            if ownThread { driver.loop.execute { driver.stopOwnLoop() } }
        }
    }

    /// The session's current state.
    public var state: SessionState { published.snapshot.state }
    /// The session id (0 before the first connection).
    public var sessionId: Int64 { published.snapshot.sessionId }
    /// The session's id and password once it has one: what another process needs to attach
    /// to it. A secret: never log it.
    public var sessionCredentials: SessionCredentials? { published.snapshot.credentials }
    /// The highest zxid this client has seen in a reply.
    public var lastZxid: Int64 { published.snapshot.lastZxid }
    /// The session timeout the ensemble granted.
    public var negotiatedTimeoutMs: Int32 { published.snapshot.timeoutMs }

    /// Why the latest attempt to reach a member failed ("host:port: reason": a name that does
    /// not resolve, a refused or timed-out connect), nil once a member answers: what to tell
    /// an operator when the session does not come up.
    public var lastConnectFailure: String? { published.snapshot.lastFailure }

    /// The member the client is connected to, nil while disconnected.
    public var connectedHost: HostAddress? { published.snapshot.host }

    /// Waits until the session is connected.
    ///
    /// - Throws: `.connectionLoss` after `timeoutMs`; `.closed` or `.authFailed` when the
    ///   session has ended.
    public func waitUntilConnected(timeoutMs: Int = 30_000) async throws(ZooKeeperError) {
        let id = ids.wrappingAdd(1, ordering: .relaxed).oldValue
        let driver = self.driver
        let result = await withUnsafeContinuation { (c: UnsafeContinuation<Result<Void, ZooKeeperError>, Never>) in
            onLoop(else: { c.resume(returning: .failure(.closed)) }) {
                switch driver.published.snapshot.state {
                case .connected: return c.resume(returning: .success(()))
                case .closed: return c.resume(returning: .failure(.closed))
                case .authFailed: return c.resume(returning: .failure(.authFailed))
                default: break
                }
                let timer = driver.loop.schedule(after: UInt64(timeoutMs) * 1_000_000) {
                    driver.connectWaiters.removeValue(forKey: id)?.waiter.resume(returning: .failure(.connectionLoss))
                }
                driver.connectWaiters[id] = (c, timer)
            }
        }
        try result.get()
    }

    /// Watch notifications and state changes from now on, and with `zxidMarks` the `.zxid`
    /// marks that bound notifications' zxids. Each call makes an independent stream; it
    /// finishes when the client closes.
    public func events(zxidMarks: Bool = false) -> ClientEventStream {
        let buffer = ClientEventBuffer()
        let driver = self.driver
        onLoop(else: { buffer.finish() }) {
            if driver.machine.isTerminal { buffer.finish(); return }
            let key = driver.nextSubscriber
            driver.nextSubscriber += 1
            driver.subscribers[key] = buffer
            if zxidMarks { driver.markSubscribers.insert(key) }
            buffer.setOnTermination {
                driver.loop.execute {
                    driver.subscribers.removeValue(forKey: key)
                    driver.markSubscribers.remove(key)
                }
            }
        }
        return ClientEventStream(buffer: buffer)
    }

    /// Closes the session (its ephemerals are deleted by the ensemble at once) and stops the
    /// client's thread. Later calls fail with `.closed`.
    public func close() async {
        await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in
            requestClose { c.resume() }
        }
        stopThread()
    }

    /// `close()` for callers that cannot await (a process shutting down): waits up to
    /// `timeoutMs` on this thread, using no task. Returns whether the ensemble confirmed.
    @discardableResult
    public func closeNow(timeoutMs: Int) -> Bool {
        let closed = DispatchSemaphore(value: 0)
        requestClose { closed.signal() }
        let confirmed = closed.wait(timeout: .now() + .milliseconds(timeoutMs)) == .success
        stopThread()
        return confirmed
    }

    /// Drops the connection now, as if it had failed (`SessionMachine.abandonConnection`):
    /// requests on the wire fail with `connectionLoss` at once, and the client reconnects to
    /// the next member. Returns at once.
    public func dropConnection() {
        let driver = self.driver
        onLoop(else: {}) { driver.perform(driver.machine.abandonConnection(now: driver.now)) }
    }

    /// Lets go of the session without ending it (`SessionMachine.abandon`): for a process
    /// whose session another process has attached to, or will. Later calls fail with
    /// `.closed`.
    public func abandon() async {
        let driver = self.driver
        await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in
            onLoop(else: { c.resume() }) {
                driver.perform(driver.machine.abandon())
                c.resume()
            }
        }
        stopThread()
    }

    /// Closes the session; `done` runs (on the loop, or here) once it is closed.
    func requestClose(_ done: @escaping @Sendable () -> Void) {
        let driver = self.driver
        onLoop(else: done) {
            if driver.machine.isTerminal { return done() }
            driver.closeWaiters.append(done)
            driver.perform(driver.machine.close(now: driver.now))
        }
    }

    /// Stops and joins the client's own thread, once; a loop passed in runs on. Either way,
    /// later calls fail with `.closed` without touching the loop (a shared loop may itself
    /// be stopped soon after, and a job queued then would never run).
    func stopThread() {
        let driver = self.driver
        let first = stopped.withLock { (stopped: inout Bool) -> Bool in
            defer { stopped = true }
            if !stopped && thread != nil { loop.execute { driver.stopOwnLoop() } }
            return !stopped
        }
        if first, let thread { thread.join() }
    }

    /// Runs `job` on the loop, or `fallback` here when the loop has been stopped by `close()`.
    func onLoop(else fallback: () -> Void, _ job: @escaping @Sendable () -> Void) {
        // Enqueued under the lock, so no job lands after the loop's stop job; the wake-up
        // write happens after it, so concurrent callers do not wait on a syscall.
        let queued = stopped.withLock { stopped -> Bool? in
            if stopped { return nil }
            return loop.enqueue(job)
        }
        switch queued {
        case nil: fallback()
        case true?: loop.wake()
        case false?: break
        }
    }

    /// Sends one request and waits for its reply.
    func call(_ op: OpCode, _ body: some JuteRecord, watch: WatchRegistry.Registration? = nil)
        async throws(ZooKeeperError) -> SessionMachine.Reply
    {
        try await call(op, bytes: body.encoded(), watch: watch)
    }

    func call(_ op: OpCode, bytes: [UInt8], watch: WatchRegistry.Registration? = nil)
        async throws(ZooKeeperError) -> SessionMachine.Reply
    {
        let id = ids.wrappingAdd(1, ordering: .relaxed).oldValue
        let driver = self.driver
        let result = await withUnsafeContinuation { (c: ClientDriver.Completion) in
            onLoop(else: { c.resume(returning: .failure(.closed)) }) {
                driver.completions[id] = c
                driver.perform(driver.machine.submit(.init(id: id, op: op, body: bytes, watch: watch), now: driver.now))
            }
        }
        return try result.get()
    }
}
