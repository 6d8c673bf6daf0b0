import HTTP2
import HTTPCore
import Reactor
import SystemCalls
import TLS

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/2 connection on its loop: h2 chosen by ALPN on a TLS listener, or h2c with prior
/// knowledge on a plain one. `HTTP2Session` decodes the frames; each request is routed as an
/// HTTP/1.1 one is and answered on its stream, at once or later: a parked stream (a long-poll)
/// is an `HTTP2Stream`, and holds no buffer until it is answered.
final class HTTP2Connection: EventHandler, TimerTarget, ServerConnection, @unchecked Sendable {
    let fd: Int32
    unowned(unsafe) let owner: ServerLoop
    var registration: EventLoop.RegistrationID!
    let remote: SocketAddress?
    let remoteText: String
    let tls: TLSSession?
    let peerIdentity: PeerIdentity?
    /// `RequestContext.connectionMemo`, shared by the connection's streams.
    var connectionMemo: AnyObject?
    let session: HTTP2Session
    var out = SocketOutbound()
    /// Requests handled and not yet answered (parked, or streaming).
    var streams: [Int32: HTTP2Stream] = [:]
    var closed = false
    var interest = Readiness.readable | Readiness.readHangup
    var timer = TimerID.none
    var goingAway = false
    /// Closing after the last GOAWAY: input is discarded until the client closes (see `linger`).
    var lingering = false
    /// Queued in the loop's `http2Pending` for the end of this iteration.
    var flushScheduled = false
    /// The request a handler is running for, while it runs (so parking can name its stream).
    var current: (id: Int32, head: HTTPRequestHead, startedAt: UInt64)?
    /// Whether the current request was answered while its handler ran.
    var currentAnswered = false
    /// Who the request being handled is from (`RequestContext.principal`).
    var currentPrincipal: String?
    var currentObserver: AnswerObserver?
    /// When the connection became HTTP/2: the client's preface is due within the header
    /// timeout from here.
    let openedAt: UInt64

    init(fd: Int32, owner: ServerLoop, remote: SocketAddress?, tls: TLSSession?, peerIdentity: PeerIdentity?) throws {
        self.fd = fd
        self.owner = owner
        self.remote = remote
        remoteText = remote?.description ?? "-"
        self.tls = tls
        self.peerIdentity = peerIdentity
        // The header limit is HTTP/1.1's (--max-header-bytes), counted as RFC 9113 §6.5.2 does.
        session = try HTTP2Session(settings: HTTP2Settings(
            maxHeaderListSize: UInt32(clamping: owner.config.limits.maxHeaderBytes), maxBody: owner.config.limits.maxBody))
        openedAt = owner.loop.now
        registration = try owner.loop.register(fd: fd, interest: interest, handler: self)
    }

    var loop: EventLoop { owner.loop }
    var config: HTTPServerConfiguration { owner.config }

    /// An HTTP/1.1 request that asked for `Upgrade: h2c`, answered as stream 1.
    struct Upgrade {
        var request: HTTP2Session.Request
        var settings: [UInt8]
    }

    /// Processes what arrived before the switch to HTTP/2 (and the request that asked for it),
    /// and sends the server's SETTINGS.
    func start(_ initial: [UInt8], upgrade: Upgrade? = nil) {
        if let upgrade {
            do {
                try session.upgrade(settingsPayload: upgrade.settings, headRequest: upgrade.request.method == "HEAD")
            } catch {
                flush()
                return abort()
            }
            dispatch(upgrade.request)
        }
        initial.withUnsafeBytes { receive($0) }
        if !closed { flush() }
        armIdleTimer()
    }

    func handleEvents(_ events: UInt32) {
        if events & Readiness.error != 0 { return abort() }
        if events & (Readiness.readable | Readiness.readHangup | Readiness.hangup) != 0 { readable() }
        if !closed && events & Readiness.writable != 0 { writable() }
    }

    func readable() {
        let bytes: UnsafeRawBufferPointer
        switch owner.read(fd) {
        case .bytes(let read): bytes = read
        case .wouldBlock: return
        case .closed, .failed: return abort()
        }
        if lingering { return }
        // Frames in reply (answers, SETTINGS acks, window updates) leave with the iteration's
        // one flush, with whatever else is answered meanwhile.
        guard let tls else {
            receive(bytes)
            return scheduleFlush()
        }
        guard let output = owner.unseal(bytes, with: tls, peer: remoteText, sendRaw: { sendRaw($0) }) else { return abort() }
        if !output.plaintext.isEmpty { output.plaintext.withUnsafeBytes { receive($0) } }
        if output.peerClosed { return abort() }
        scheduleFlush()
    }

    /// Frames in: requests out, handled now.
    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard !closed, !bytes.isEmpty else { return }
        let events: [HTTP2Session.Event]
        do {
            events = try session.receive(bytes, now: loop.now)
        } catch {
            owner.logger.debug("HTTP/2 connection ended", metadata: ["peer": "\(remoteText)", "error": "\(error)"])
            if case .tooManyResets = error { owner.stats.add(owner.stats.http2ResetFloods) }
            return linger()
        }
        handle(events)
    }

    func handle(_ events: [HTTP2Session.Event]) {
        for event in events {
            guard !closed else { return }
            switch event {
            case .request(let request):
                dispatch(request)
            case .headersTooLarge(let id):
                respondWhole(id, head: nil, startedAt: loop.now, .problem(.requestHeaderFieldsTooLarge,
                    type: "header-fields-too-large",
                    detail: "The header list is over the limit of \(config.limits.maxHeaderBytes) bytes."))
            case .bodyTooLarge(let id):
                respondWhole(id, head: nil, startedAt: loop.now, .problem(.contentTooLarge, type: "body-too-large",
                    detail: "The request body is over the limit of \(config.limits.maxBody) bytes."))
            case .streamClosed(let id, _):
                // A stream still here was never answered: whatever its code, the client has
                // gone, as a closed HTTP/1.1 connection has.
                if let stream = streams.removeValue(forKey: id) { stream.interrupt(.clientGone) }
            }
        }
        armIdleTimer()
    }

    /// Frames out at the end of this loop iteration, with whatever else is answered meanwhile.
    func scheduleFlush() {
        guard !flushScheduled, !closed else { return }
        flushScheduled = true
        owner.http2Pending.append(self)
    }

    /// Frames out: what the session has, sealed when on TLS, while the socket takes it.
    func flush() {
        guard !lingering else { return }
        writeFrames()
        guard !closed else { return }
        if out.isEmpty && session.isFinished { return linger() }
        // Answers sent now may have ended the last open stream: the idle clock starts here.
        armIdleTimer()
    }

    /// Writes what the session has while the socket takes it.
    func writeFrames() {
        while !closed && out.isEmpty {
            let frames = session.outbound()
            guard !frames.isEmpty else { break }
            frames.withUnsafeBytes { send($0) }
        }
    }

    func send(_ bytes: UnsafeRawBufferPointer) {
        guard let tls else { return sendRaw(bytes) }
        do {
            try tls.seal(bytes).withUnsafeBytes { sendRaw($0) }
        } catch {
            abort()
        }
    }

    func sendRaw(_ bytes: UnsafeRawBufferPointer) {
        guard !closed else { return }
        switch out.write(fd, bytes, limit: config.maxOutboundBytes) {
        case .written, .queued(started: false): break
        case .queued(started: true):
            updateInterest()
            setTimer(loop.now + config.writeTimeout)
        case .overLimit, .failed: abort()
        }
    }

    func writable() {
        switch out.flush(fd) {
        case .blocked:
            // A client that reads, however slowly, keeps its connection; but a closing one
            // keeps only the linger time it was given.
            if !lingering { setTimer(loop.now + config.writeTimeout) }
            return
        case .failed: return abort()
        case .drained: break
        }
        if lingering {
            shutdown(fd, Int32(SHUT_WR))
            return updateInterest()
        }
        updateInterest()
        armIdleTimer()
        flush()
    }

    func updateInterest() {
        var wanted = Readiness.readable | Readiness.readHangup
        if !out.isEmpty { wanted |= Readiness.writable }
        guard wanted != interest else { return }
        interest = wanted
        do { try loop.modify(registration, interest: wanted) } catch { abort() }
    }

    /// Closes after the last GOAWAY (a shutdown, an idle connection, or the client's fault: a
    /// flood, a protocol error): half-close once the frames are out, then discard input until
    /// the client closes or the linger time ends, so the frames it still had on the wire (a
    /// window update, a SETTINGS ack) do not turn into a reset that destroys the last answers
    /// and the GOAWAY before the client reads them.
    func linger() {
        guard !closed, !lingering else { return }
        writeFrames()  // the GOAWAY
        guard !closed else { return }
        lingering = true
        let parked = Array(streams.values)
        streams.removeAll()
        for stream in parked { stream.interrupt(.clientGone) }
        if let tls, tls.state == .established { tls.close().withUnsafeBytes { sendRaw($0) } }
        if closed { return }
        if out.isEmpty { shutdown(fd, Int32(SHUT_WR)) }
        setTimer(loop.now + config.lingerTimeout)
    }

    /// The connection failed or the peer left: parked requests learn it, and it closes.
    func abort() {
        guard !closed else { return }
        let parked = Array(streams.values)
        streams.removeAll()
        for stream in parked { stream.interrupt(.clientGone) }
        close()
    }

    func close() {
        guard !closed else { return }
        closed = true
        if timer != .none { loop.cancelTimer(timer) }
        timer = .none
        for stream in streams.values { stream.unpark() }
        streams.removeAll()
        loop.deregister(registration)
        Glibc.close(fd)
        out.discard()
        owner.connectionClosed(self)
    }

    // MARK: Timers

    /// Idle (no stream open, nothing to write) for `idleTimeout`: GOAWAY and close. A request
    /// still arriving after `bodyTimeout` is answered 408. A write the peer does not take
    /// within `writeTimeout` ends the connection. A client whose preface has not arrived within
    /// `headerTimeout` of the switch to HTTP/2 is dropped.
    func armIdleTimer() {
        guard !closed, !lingering, out.isEmpty else { return }
        if !session.prefaceReceived {
            // A client that upgraded (101), or chose h2 by ALPN, and then sends no preface
            // holds the connection no longer than a request head may take.
            setTimer(openedAt + config.headerTimeout)
        } else if let oldest = session.oldestIncomplete {
            setTimer(oldest + config.bodyTimeout)
        } else if streams.isEmpty && session.openStreams == 0 {
            setTimer(loop.now + config.idleTimeout)
        } else if timer != .none {
            loop.cancelTimer(timer)
            timer = .none
        }
    }

    func setTimer(_ deadline: UInt64) {
        if timer != .none { loop.cancelTimer(timer) }
        timer = loop.scheduleTimer(at: deadline, target: self, token: 0)
    }

    func timerFired(_ token: UInt64) {
        timer = .none
        guard !closed else { return }
        if lingering { return close() }
        if !out.isEmpty { return abort() }  // the peer stopped reading
        if !session.prefaceReceived {
            owner.logger.debug("HTTP/2 client sent no preface in time", metadata: ["peer": "\(remoteText)"])
            return abort()
        }
        let stalled = session.expireIncomplete(before: loop.now &- config.bodyTimeout + 1)
        for id in stalled {
            respondWhole(id, head: nil, startedAt: loop.now, .problem(.requestTimeout, type: "request-timeout",
                detail: "The request did not arrive in time."))
        }
        if stalled.isEmpty && streams.isEmpty && session.openStreams == 0 {
            session.goAway()
            flush()
            if !lingering { close() }
            return
        }
        armIdleTimer()
    }

    // MARK: Shutdown

    func shutdownRequested() {
        guard !goingAway else { return }
        goingAway = true
        session.goAway()
        for stream in Array(streams.values) where stream.parked { stream.interrupt(.shutdown) }
        flush()
        if streams.isEmpty && out.isEmpty && !lingering { close() }
    }

    func forceClose() {
        for stream in Array(streams.values) {
            stream.completeDeferred(stream.token, .problem(.serviceUnavailable, type: "shutting-down",
                detail: "The server is shutting down; retry on another replica.", headers: ["Retry-After": "1"]))
        }
        flush()
        close()
    }
}
