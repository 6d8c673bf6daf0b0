import HTTPCore
import SystemCalls
import Reactor
import TLS

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 connection, confined to its loop's thread (hence `@unchecked Sendable`: only
/// `DeferredResponse` carries it across threads, and it hops back to the loop before use).
///
/// Requests are answered strictly in order: while one is being handled, later pipelined bytes
/// wait unparsed. Between requests the connection holds no buffers.
final class HTTP1Connection: EventHandler, TimerTarget, @unchecked Sendable {
    enum Phase {
        /// Reading a request, or idle between requests.
        case reading
        /// A handler has the request (possibly parked).
        case handling
        /// A streamed response is being sent.
        case streaming
        /// The answer is written; waiting for the client to close, discarding what it sends.
        case lingering
        case closed
    }

    let fd: Int32
    /// The loop outlives its connections; `unowned(unsafe)` avoids refcounting per access.
    unowned(unsafe) let owner: ServerLoop
    var registration: EventLoop.RegistrationID!
    let remote: SocketAddress?
    let remoteText: String
    var parser: HTTP1RequestParser
    var phase = Phase.reading
    var interest: UInt32

    /// Unparsed bytes that arrived with or after a request still being read or handled.
    var inbound: [UInt8] = []
    /// Response bytes the socket did not take yet.
    var out = SocketOutbound()
    /// Reading is paused while too much is buffered either way.
    var readPaused = false
    /// The client sent its FIN; once what is queued is written, the connection closes.
    var peerHalfClosed = false

    var head: HTTPRequestHead?
    var body: [UInt8] = []
    var requestStartedAt: UInt64 = 0
    /// Who the current request is from (`RequestContext.principal`), for the access log.
    var principal: String?
    /// Told the current request's answer (`RequestContext.onAnswer`).
    var answerObserver: AnswerObserver?
    /// `RequestContext.connectionMemo`.
    var connectionMemo: AnyObject?
    var headStartedAt: UInt64 = 0
    var bodyStartedAt: UInt64 = 0
    var closeAfterResponse = false
    var isDriving = false

    /// Identifies the current parked request; bumped when it is answered or abandoned so a
    /// late `DeferredResponse` call finds a mismatch and does nothing.
    var token: UInt64 = 0
    var parked = false
    var onInterrupt: DeferredResponse.InterruptHandler?
    var streamFraming: HTTP1ResponseSerializer.Framing?
    var streamStatus = 0
    var streamBytes = 0

    var timer = TimerID.none
    var timerKind = TimerKind.none
    var timerSequence: UInt64 = 0
    var lazyDeadline: UInt64 = 0

    /// TLS on this connection (a TLS listener's), sans I/O: reads go through it before the
    /// parser, and answers through it before the socket.
    let tls: TLSSession?
    /// The client certificate's identity, once the handshake verified one.
    var peerIdentity: PeerIdentity?
    /// Whether a request has been dispatched on this connection (only a fresh connection may
    /// switch to HTTP/2 by its preface).
    var servedAny = false

    static let baseInterest = Readiness.readable | Readiness.readHangup

    init(fd: Int32, owner: ServerLoop, remote: SocketAddress?, tls: TLSSession? = nil) throws(SystemError) {
        self.fd = fd
        self.owner = owner
        self.tls = tls
        self.remote = remote
        remoteText = remote?.description ?? "-"
        parser = HTTP1RequestParser(limits: owner.config.limits)
        interest = Self.baseInterest
        registration = try owner.loop.register(fd: fd, interest: interest, handler: self)
        setTimer(.idle, owner.loop.now + owner.config.idleTimeout)
    }

    var loop: EventLoop { owner.loop }
    var config: HTTPServerConfiguration { owner.config }

    func handleEvents(_ events: UInt32) {
        if events & Readiness.error != 0 {
            abort()
            return
        }
        if events & (Readiness.readable | Readiness.readHangup | Readiness.hangup) != 0 { readable() }
        if phase != .closed && events & Readiness.writable != 0 { writable() }
    }

    /// Drops the connection at once; a parked handler hears `.clientGone`.
    func abort() {
        guard phase != .closed else { return }
        if parked || phase == .streaming { interrupt(.clientGone) }
        close()
    }


    func close() {
        guard phase != .closed else { return }
        phase = .closed
        cancelTimer()
        if parked { unpark() }
        if let tls, tls.state == .established {
            // close_notify, best effort: the socket may not take it, and HTTP's own framing
            // already tells a client whether the answer is whole.
            let notify = tls.close()
            if out.isEmpty, !notify.isEmpty {
                _ = notify.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            }
        }
        loop.deregister(registration)
        Glibc.close(fd)
        inbound = []
        out.discard()
        body = []
        owner.connectionClosed(self)
    }

    /// Gives up the socket without closing it (it goes on as HTTP/2): no more events, timers
    /// or answers here.
    func detach() -> Int32 {
        phase = .closed
        cancelTimer()
        loop.deregister(registration)
        inbound = []
        out.discard()
        return fd
    }

    func updateInterest() {
        var wanted = Self.baseInterest
        if readPaused { wanted = peerHalfClosed ? 0 : Readiness.readHangup }
        if !out.isEmpty { wanted |= Readiness.writable }
        guard wanted != interest else { return }
        interest = wanted
        do {
            try loop.modify(registration, interest: wanted)
        } catch {
            abort()
        }
    }
}
