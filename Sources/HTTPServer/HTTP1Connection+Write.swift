import HTTPCore
import SystemCalls
import Reactor

#if canImport(Glibc)
import Glibc
#endif

extension HTTP1Connection {
    /// Answers the current request (or a request that failed to parse) with a whole response.
    func respond(_ response: HTTPResponse) {
        guard phase != .closed else { return }
        let close = closeAfterResponse || owner.shuttingDown
        let bodyAllowed = !response.status.forbidsBody
        let bodyCount = bodyAllowed ? response.body.count : 0
        owner.scratch.removeAll(keepingCapacity: true)
        HTTP1ResponseSerializer.writeHead(
            status: response.status, headers: response.headers, framing: .length(bodyCount), close: close,
            http10KeepAlive: !close && head?.version == .http1_0, date: owner.currentDate(),
            serverFields: tls == nil ? [] : owner.tlsServerFields, into: &owner.scratch)
        if bodyAllowed && head?.method != .head { owner.scratch.append(contentsOf: response.body) }
        owner.scratch.withUnsafeBytes { send($0) }
        log(status: response.status.code, bytes: bodyCount)
        if let observer = answerObserver {
            answerObserver = nil
            observer(response.status, response.headers)
        }
        finishRequest(close: close)
    }

    func log(status: Int, bytes: Int) {
        if status >= 500 {
            owner.stats.add(owner.stats.serverErrors)
        } else if status >= 400 {
            owner.stats.add(owner.stats.clientErrors)
        }
        guard let accessLog = owner.accessLog else { return }
        let started = head == nil ? headStartedAt : requestStartedAt
        accessLog.record(
            date: owner.currentDate(), remote: remoteText, principal: head == nil ? nil : principal, head: head,
            status: status, bytes: bytes,
            micros: (EventLoop.preciseNow &- started) / 1000)
    }

    /// The request is answered: go back to reading, or close.
    func finishRequest(close: Bool) {
        guard phase != .closed else { return }
        head = nil
        if close {
            beginClosing()
        } else {
            phase = .reading
            resumeAfterResponse()
        }
    }

    /// Closes after the answer is out: half-close, then discard input until the client closes
    /// or the linger time ends, so unread request bytes do not turn into a reset that destroys
    /// the answer in flight.
    func beginClosing() {
        phase = .lingering
        inbound = []
        if let tls, tls.state == .established {
            // close_notify goes out behind the answer, before the half-close: a TLS client
            // then sees a clean end, not a truncation.
            tls.close().withUnsafeBytes { sendRaw($0) }
        }
        if out.isEmpty {
            if peerHalfClosed {
                close()
                return
            }
            shutdown(fd, Int32(SHUT_WR))
            if readPaused {
                readPaused = false
                updateInterest()
            }
        }
        updateTimer()
    }

    /// Writes HTTP bytes: sealed into TLS records first on a TLS connection.
    func send(_ bytes: UnsafeRawBufferPointer) {
        guard phase != .closed, !bytes.isEmpty else { return }
        guard let tls else { return sendRaw(bytes) }
        let records: [UInt8]
        do { records = try tls.seal(bytes) } catch {
            abort()
            return
        }
        records.withUnsafeBytes { sendRaw($0) }
    }

    /// Writes now what the socket takes, and queues the rest for EPOLLOUT.
    func sendRaw(_ bytes: UnsafeRawBufferPointer) {
        guard phase != .closed, !bytes.isEmpty else { return }
        switch out.write(fd, bytes, limit: config.maxOutboundBytes) {
        case .written, .queued(started: false):
            break
        case .queued(started: true):
            updateInterest()
            updateTimer()
        case .overLimit, .failed:
            abort()
        }
    }

    func writable() {
        switch out.flush(fd) {
        case .blocked:
            lazyDeadline = loop.now + config.writeTimeout
            return
        case .failed:
            abort()
            return
        case .drained:
            break
        }
        if peerHalfClosed {
            close()
            return
        }
        updateInterest()
        switch phase {
        case .lingering:
            beginClosing()
        case .reading:
            if owner.shuttingDown && parser.isIdle && inbound.isEmpty {
                close()
            } else {
                resumeAfterResponse()
            }
        default:
            updateTimer()
        }
    }
}
