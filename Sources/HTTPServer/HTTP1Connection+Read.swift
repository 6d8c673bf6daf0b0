import HTTPCore
import SystemCalls
import Reactor
import TLS

#if canImport(Glibc)
import Glibc
#endif

extension HTTP1Connection {
    /// Pipelined bytes kept while a request is handled, before reading pauses.
    static var maxBufferedWhileBusy: Int { 64 << 10 }

    func readable() {
        let buffer = owner.readBuffer
        let n: Int
        do {
            switch try syscall("read", { read(fd, buffer.baseAddress, buffer.count) }) {
            case .wouldBlock: return
            case .done(let count): n = count
            }
        } catch {
            abort()
            return
        }
        if n == 0 {
            peerClosed()
            return
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        guard let tls else {
            consume(bytes)
            return
        }
        let output: TLSSession.Output
        do {
            output = try tls.receive(bytes)
        } catch {
            // A failed handshake (no or a bad client certificate, no shared version) or a
            // bad record: the alert goes out, and the connection closes.
            owner.logger.debug("TLS failed", metadata: ["peer": "\(remoteText)", "error": "\(error)"])
            owner.stats.add(owner.stats.tlsFailures)
            tls.failureRecords.withUnsafeBytes { sendRaw($0) }
            abort()
            return
        }
        if output.handshakeCompleted { peerIdentity = tls.peerIdentity }
        if !output.ciphertext.isEmpty { output.ciphertext.withUnsafeBytes { sendRaw($0) } }
        if !output.plaintext.isEmpty, phase != .closed { output.plaintext.withUnsafeBytes { consume($0) } }
        if output.peerClosed, phase != .closed { peerClosed() }
    }

    /// Bytes of HTTP (after TLS, when the connection has it), into the parser or the buffer.
    func consume(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        switch phase {
        case .reading:
            if parser.isIdle && inbound.isEmpty { headStartedAt = loop.now }
            if inbound.isEmpty {
                let consumed = drive(bytes)
                if consumed < n && phase != .closed { inbound.append(contentsOf: bytes[consumed...]) }
            } else {
                inbound.append(contentsOf: bytes)
                driveInbound()
            }
            if phase != .closed { updateTimer() }
        case .handling, .streaming:
            inbound.append(contentsOf: bytes)
            if inbound.count > Self.maxBufferedWhileBusy {
                readPaused = true
                updateInterest()
            }
        case .lingering:
            break  // discarded: the answer is out and the connection is closing
        case .closed:
            break
        }
    }

    /// The client closed its side (or the socket hung up).
    func peerClosed() {
        switch phase {
        case .handling, .streaming:
            // A parked client that closes is gone: nothing it could still read would matter.
            abort()
        case .reading, .lingering:
            // A half-closing client may still read: an answer still queued goes out first.
            // Reading stops (end of file stays readable, which would wake the loop forever).
            if !out.isEmpty {
                peerHalfClosed = true
                readPaused = true
                updateInterest()
            } else {
                close()
            }
        case .closed:
            break
        }
    }

    /// Parses what is buffered in `inbound`.
    func driveInbound() {
        var pending = inbound
        inbound = []
        let consumed = pending.withUnsafeBytes { drive($0) }
        if phase == .closed { return }
        pending.removeFirst(consumed)
        if inbound.isEmpty {
            inbound = pending
        } else {
            pending.append(contentsOf: inbound)
            inbound = pending
        }
    }

    /// Runs the parser over `input` while requests can be answered, returning bytes consumed.
    func drive(_ input: UnsafeRawBufferPointer) -> Int {
        isDriving = true
        defer { isDriving = false }
        var offset = 0
        while phase == .reading {
            let step = parser.parse(UnsafeRawBufferPointer(rebasing: input[offset...]))
            let base = offset
            offset += step.consumed
            switch step.event {
            case .needMoreData:
                return offset
            case .head(let head):
                self.head = head
                requestStartedAt = loop.now
                bodyStartedAt = loop.now
                if !head.keepAlive { closeAfterResponse = true }
                if case .length(let length) = head.framing { body.reserveCapacity(length) }
                if head.expectContinue && offset == input.count {
                    HTTP1ResponseSerializer.continueResponse.withUnsafeBytes { send($0) }
                }
            case .body(let range):
                body.append(contentsOf: input[(base + range.lowerBound)..<(base + range.upperBound)])
            case .end:
                dispatch()
            case .error(let error):
                closeAfterResponse = true
                respond(.problem(for: error))
                return offset
            }
        }
        return offset
    }

    /// Routes the complete request and runs its handler.
    func dispatch() {
        guard let head else { return }
        owner.stats.add(owner.stats.requests)
        let body = self.body
        self.body = []
        phase = .handling
        if let tls, tls.context.configuration.clientAuthentication == .optional, peerIdentity == nil,
            let anonymous = config.tls?.anonymousPaths, !anonymous.contains(String(head.path))
        {
            // Optional client authentication: the handshake let a client without a certificate
            // in, so it can read why it is refused here.
            respond(.problem(.unauthorized, type: "client-certificate-required",
                detail: "This listener serves \(head.path) only to clients with a certificate from its client CA."))
            return
        }
        switch owner.router.match(method: head.method, path: head.path) {
        case .found(let handler, let parameters):
            let request = HTTPRequest(head: head, body: body, pathParameters: parameters, remoteAddress: remote)
            let result = handler(request, RequestContext(source: self))
            switch result {
            case .response(let response):
                if phase == .handling {
                    if parked { unpark() }
                    respond(response)
                }
            case .deferred:
                if phase == .handling && !parked {
                    owner.logger.error("handler returned .deferred without deferResponse()", metadata: ["path": "\(head.path)"])
                    respond(.problem(.internalServerError, type: "internal", detail: "The handler did not answer."))
                }
            }
        case .notFound:
            respond(.problem(.notFound, type: "not-found", detail: "No route for \(head.path)."))
        case .methodNotAllowed(let allow):
            let allowed = allow.map(\.rawValue).joined(separator: ", ")
            if head.method == .options {
                respond(HTTPResponse(status: .noContent, headers: ["Allow": allowed]))
            } else {
                respond(.problem(.methodNotAllowed, type: "method-not-allowed",
                    detail: "\(head.method) is not allowed here; allowed: \(allowed).", headers: ["Allow": allowed]))
            }
        case .badPath:
            respond(.problem(.badRequest, type: "bad-path",
                detail: "The path has invalid percent-encoding, an encoded '/', or a NUL."))
        }
    }

    /// After an answer, carries on with pipelined requests and resumes reading.
    func resumeAfterResponse() {
        guard phase == .reading, !isDriving else { return }
        if !inbound.isEmpty { driveInbound() }
        guard phase != .closed else { return }
        if peerHalfClosed {
            // Nothing more will arrive: close once every answer is out.
            if phase == .reading && out.isEmpty { close() }
            return
        }
        if readPaused && out.isEmpty && inbound.count <= Self.maxBufferedWhileBusy {
            readPaused = false
            updateInterest()
        }
        if phase == .reading {
            if parser.isIdle && inbound.isEmpty { headStartedAt = loop.now }
            updateTimer()
        }
    }
}
