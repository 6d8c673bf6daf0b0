import Reactor
import SystemCalls
import TLS

#if canImport(Glibc)
import Glibc
#endif

/// Runs a `SessionMachine` on an event loop: it owns the socket, feeds the machine bytes and
/// the clock, and carries out its actions. Confined to the loop's thread (hence unchecked
/// Sendable); other threads reach it only through `loop.execute`.
///
/// Completions resume continuations and events go to the streams' buffers, so no user code
/// runs inside the driver: a resumed task runs later, as a job of its own.
final class ClientDriver: EventHandler, TimerTarget, @unchecked Sendable {
    typealias Completion = UnsafeContinuation<Result<SessionMachine.Reply, ZooKeeperError>, Never>

    let loop: EventLoop
    var machine: SessionMachine
    let published: PublishedState
    var fd: Int32 = -1
    var registration: EventLoop.RegistrationID?
    var connecting = false
    var wantsWrite = false
    /// Bumped whenever the socket closes, so packets read from an old connection are dropped.
    var generation: UInt64 = 0
    var framer: PacketFramer
    /// The lookup the current attempt waits for, if its member is named by a host name.
    var pendingLookup: LookupTicket?
    /// The member's addresses the current attempt has yet to try.
    var candidates: ArraySlice<SocketAddress> = []
    /// The member of the current attempt and the address being connected to, for the
    /// message if the attempt fails (the machine has moved on to the next member by then).
    var member: HostAddress?
    var connectingTo: SocketAddress?
    /// Looks a member's name up and calls back on any thread (tests play a hung name server).
    var resolve: (HostAddress, @escaping @Sendable (HostResolver.Outcome) -> Void) -> Void = { host, then in
        HostResolver.lookUp(host: host.host, port: host.port, then: then)
    }
    /// Bytes for the socket: the machine's packets, or with TLS its records.
    var outbound: [UInt8] = []
    var outboundOffset = 0
    /// TLS to the members' secure client port, when configured.
    let tls: TLSClientContext?
    /// The current connection's TLS; nil without TLS or before the TCP connection is up.
    var tlsSession: TLSSession?
    /// With TLS, the machine's packets not yet sealed (at the next flush).
    var plaintextOutbound: [UInt8] = []
    /// The member sent close_notify: the connection ends once what came before it is handled.
    var tlsPeerClosed = false
    var completions: [UInt64: Completion] = [:]
    var subscribers: [UInt64: ClientEventBuffer] = [:]
    /// The subscribers that also receive `.zxid` marks.
    var markSubscribers: Set<UInt64> = []
    var markedZxid: Int64 = 0
    var nextSubscriber: UInt64 = 0
    /// `waitUntilConnected` callers, each with its deadline's timer (cancelled when answered
    /// otherwise, since the timer holds this driver).
    var connectWaiters: [UInt64: (waiter: UnsafeContinuation<Result<Void, ZooKeeperError>, Never>, timer: TimerID)] = [:]
    /// Run on the loop once the session is closed.
    var closeWaiters: [@Sendable () -> Void] = []
    var actionQueue: [SessionMachine.Action] = []
    var draining = false
    var timer = TimerID.none
    var flushHook: Int?
    var timerDeadline: UInt64 = .max
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    /// Notification paths arrive with the chroot; subscribers see paths below it.
    let chroot: String?

    init(loop: EventLoop, machine: SessionMachine, published: PublishedState, chroot: String?, tls: TLSClientContext? = nil) {
        self.loop = loop
        self.tls = tls
        self.chroot = chroot
        self.machine = machine
        self.published = published
        self.framer = PacketFramer(maxLength: Int32(machine.configuration.maxPacketLength))
    }

    deinit { readBuffer.deallocate() }

    /// Called once, on the loop: sends what the iteration queued, after its events, inbox
    /// jobs and timers.
    func installFlushHook() {
        // Strong, with the hook removed once the session has ended or the client's own loop
        // stops (`removeFlushHook`): a weak reference would give the driver a side table, and
        // every retain and release of it (several per request) would take the slow path.
        flushHook = loop.addIterationHook { [self] in
            guard outboundOffset < outbound.count || !plaintextOutbound.isEmpty else { return }
            flush()
        }
    }

    /// The session has ended (its socket is closed, so nothing is left to send), or the
    /// client's own loop is stopping: the loop lets go of the driver.
    func removeFlushHook() {
        guard let flushHook else { return }
        loop.removeIterationHook(flushHook)
        self.flushHook = nil
    }

    var now: UInt64 { loop.now }

    /// Queues the machine's actions and carries them out in order. Actions may lead back into
    /// the machine (a connect that fails at once); those are queued behind, never nested.
    func perform(_ actions: [SessionMachine.Action]) {
        actionQueue.append(contentsOf: actions)
        guard !draining else { return }
        draining = true
        var i = 0
        while i < actionQueue.count {
            let action = actionQueue[i]
            i += 1
            carryOut(action)
        }
        actionQueue.removeAll(keepingCapacity: true)
        draining = false
        // No flush here: the loop's iteration hook sends everything queued in this iteration
        // with one system call, however many requests were submitted.
        published.update(&machine)
        rearmTimer()
    }

    func carryOut(_ action: SessionMachine.Action) {
        switch action {
        case .connect(let host):
            openConnection(to: host)
        case .send(let bytes):
            if tls == nil { outbound.append(contentsOf: bytes) } else { plaintextOutbound.append(contentsOf: bytes) }
        case .closeConnection:
            // An attempt still waiting for its lookup or its connect is given up only when its
            // time is over (or the session closes, which needs no reason).
            let tlsHandshaking = tlsSession.map { $0.state == .handshaking } ?? false
            if !machine.isTerminal, let member, pendingLookup != nil || connecting || tlsHandshaking {
                published.setFailure("\(member): " + (pendingLookup != nil ? "the name lookup did not answer in time"
                    : connecting ? "no connection within the connect timeout"
                    : "the TLS handshake did not complete within the connect timeout"))
            }
            closeSocket()
        case .complete(let id, let result):
            if !markSubscribers.isEmpty, case .success(let reply) = result, reply.ordered, reply.zxid > markedZxid {
                markedZxid = reply.zxid
                for key in markSubscribers { subscribers[key]?.yield(.zxid(reply.zxid)) }
            }
            completions.removeValue(forKey: id)?.resume(returning: result)
        case .event(var event):
            event.path = ConnectString.strip(chroot, from: event.path)
            for subscriber in subscribers.values { subscriber.yield(.watch(event)) }
        case .state(let state):
            // Published before anyone is resumed, so a waiter sees the session it waited for.
            published.update(&machine)
            published.setState(state)
            for subscriber in subscribers.values { subscriber.yield(.state(state)) }
            switch state {
            case .connected: resumeConnectWaiters(.success(()))
            case .closed:
                resumeConnectWaiters(.failure(.closed))
                finishSubscribers()
                let waiters = closeWaiters
                closeWaiters.removeAll()
                for waiter in waiters { waiter() }
                removeFlushHook()
            case .authFailed:
                resumeConnectWaiters(.failure(.authFailed))
                finishSubscribers()
                removeFlushHook()
            default: break
            }
        }
    }

    /// Stops the client's own loop, letting go of what refers back to the driver there (the
    /// flush hook, the session timer), so loop and driver can be freed.
    func stopOwnLoop() {
        closeSocket()
        removeFlushHook()
        if timer != .none { loop.cancelTimer(timer); timer = .none }
        loop.stop()
    }

    func resumeConnectWaiters(_ result: Result<Void, ZooKeeperError>) {
        let waiters = connectWaiters
        connectWaiters.removeAll()
        for (waiter, timer) in waiters.values {
            loop.cancelTimer(timer)
            waiter.resume(returning: result)
        }
    }

    func finishSubscribers() {
        for subscriber in subscribers.values { subscriber.finish() }
        subscribers.removeAll()
        markSubscribers.removeAll()
    }

    func rearmTimer() {
        guard let deadline = machine.nextDeadline() else {
            if timer != .none { loop.cancelTimer(timer); timer = .none; timerDeadline = .max }
            return
        }
        if timer != .none && deadline == timerDeadline { return }
        if timer != .none { loop.cancelTimer(timer) }
        timerDeadline = deadline
        timer = loop.scheduleTimer(at: deadline, target: self, token: 0)
    }

    func timerFired(_ token: UInt64) {
        timer = .none
        timerDeadline = .max
        perform(machine.tick(now: now))
    }
}
