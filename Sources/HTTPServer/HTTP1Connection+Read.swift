import HTTPCore
import SystemCalls
import Reactor
import TLS
import HTTP2
import JSON

#if canImport(Glibc)
import Glibc
#endif

extension HTTP1Connection {
    /// Pipelined bytes kept while a request is handled, before reading pauses.
    static var maxBufferedWhileBusy: Int { 64 << 10 }

    func readable() {
        let bytes: UnsafeRawBufferPointer
        switch owner.read(fd) {
        case .bytes(let read): bytes = read
        case .wouldBlock: return
        case .closed: return peerClosed()
        case .failed: return abort()
        }
        guard let tls else { return consume(bytes) }
        guard let output = owner.unseal(bytes, with: tls, peer: remoteText, sendRaw: { sendRaw($0) }) else { return abort() }
        if output.handshakeCompleted { peerIdentity = tls.peerIdentity }
        if output.handshakeCompleted, tls.applicationProtocol == "h2", phase != .closed {
            // The client chose HTTP/2 by ALPN: the rest of the connection is HTTP/2's.
            owner.upgradeToHTTP2(self, initial: output.plaintext)
            return
        }
        if !output.plaintext.isEmpty, phase != .closed { output.plaintext.withUnsafeBytes { consume($0) } }
        if output.peerClosed, phase != .closed { peerClosed() }
    }

    /// Bytes of HTTP (after TLS, when the connection has it), into the parser or the buffer.
    func consume(_ bytes: UnsafeRawBufferPointer) {
        if !servedAny, phase == .reading, parser.isIdle, inbound.isEmpty, Self.startsHTTP2Preface(bytes) {
            // h2c with prior knowledge: a client that opens with HTTP/2's preface.
            owner.upgradeToHTTP2(self, initial: Array(bytes))
            return
        }
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
                // The access log's duration needs the real clock: most requests are answered
                // within the iteration that read them, where `loop.now` does not move.
                requestStartedAt = owner.accessLog == nil ? loop.now : EventLoop.preciseNow
                principal = nil
                answerObserver = nil
                bodyStartedAt = loop.now
                if !head.keepAlive { closeAfterResponse = true }
                if case .length(let length) = head.framing { body.reserveCapacity(length) }
                if head.expectContinue && offset == input.count {
                    HTTP1ResponseSerializer.continueResponse.withUnsafeBytes { send($0) }
                }
            case .body(let range):
                body.append(contentsOf: input[(base + range.lowerBound)..<(base + range.upperBound)])
            case .end:
                dispatch(following: UnsafeRawBufferPointer(rebasing: input[offset...]))
            case .error(let error):
                if !servedAny, Self.namesNoHTTPVersion(error, UnsafeRawBufferPointer(rebasing: input[offset...])) {
                    // Not an HTTP/1.x client (an HTTP/2 client whose preface is wrong, another
                    // protocol): an HTTP/1.1 answer would be noise to it. Closed unanswered.
                    owner.logger.debug("not HTTP/1.x: closed", metadata: ["peer": "\(remoteText)"])
                    abort()
                    return offset
                }
                closeAfterResponse = true
                respond(.problem(for: error))
                return offset
            }
        }
        return offset
    }

    /// Routes the complete request and runs its handler. `following` holds the bytes read
    /// after the request (pipelined ones, or an upgrading client's HTTP/2 preface).
    func dispatch(following: UnsafeRawBufferPointer) {
        guard let head else { return }
        servedAny = true
        owner.stats.add(owner.stats.requests)
        let body = self.body
        self.body = []
        phase = .handling
        if let upgrade = h2cUpgrade(head, body: body) {
            // 101, then the same request is answered as HTTP/2's stream 1.
            owner.scratch.removeAll(keepingCapacity: true)
            owner.scratch.append(contentsOf: "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".utf8)
            owner.scratch.withUnsafeBytes { send($0) }
            // What followed the request in the same read is the client's preface (or whatever
            // it sent instead): HTTP/2's now, not left behind with this connection.
            let rest = Array(following) + inbound
            owner.upgradeToHTTP2(self, initial: rest, upgrade: upgrade)
            return
        }
        if let refusal = owner.refusal(for: head, tls: tls, peerIdentity: peerIdentity) {
            respond(refusal)
            return
        }
        let match = owner.router.match(method: head.method, path: head.path)
        switch match {
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
        case .notFound, .methodNotAllowed, .badPath:
            respond(ServerLoop.routingProblem(match, head: head))
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

    /// Whether a request-line error comes from bytes whose first line names no HTTP version at
    /// all (no `HTTP/`), as a client of another protocol sends, or an HTTP/2 client whose
    /// preface is wrong (RFC 9113 §3.4 has the server close such a connection).
    static func namesNoHTTPVersion(_ error: HTTP1ParseError, _ input: UnsafeRawBufferPointer) -> Bool {
        switch error {
        case .malformedRequestLine, .invalidMethod, .invalidTarget, .invalidVersion: break
        default: return false
        }
        var start = 0
        while start < input.count && (input[start] == 0x0D || input[start] == 0x0A) { start += 1 }
        let line = input[start...].prefix { $0 != 0x0A }
        let marker = Array("HTTP/".utf8)
        guard line.count >= marker.count else { return true }
        var i = line.startIndex
        while i + marker.count <= line.endIndex {
            if input[i..<(i + marker.count)].elementsEqual(marker) { return false }
            i += 1
        }
        return true
    }

    /// The HTTP/2 connection preface (RFC 9113 §3.4), which no HTTP/1.1 request can start with.
    static let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// Whether the first bytes of a connection are (the start of) the HTTP/2 preface; three
    /// bytes already rule out every HTTP/1.1 method.
    static func startsHTTP2Preface(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = min(bytes.count, http2Preface.count)
        return n >= 3 && bytes.prefix(n).elementsEqual(http2Preface.prefix(n))
    }

    /// The request as HTTP/2's stream 1, when it asks for `Upgrade: h2c` (RFC 7540 §3.2) on a
    /// plain connection, with one valid `HTTP2-Settings` field and no body; otherwise nil, and
    /// the request is served as HTTP/1.1 (a server may ignore an upgrade).
    func h2cUpgrade(_ head: HTTPRequestHead, body: [UInt8]) -> HTTP2Connection.Upgrade? {
        guard tls == nil, body.isEmpty, head.version == .http1_1,
            let upgrade = head.headers["Upgrade"],
            upgrade.split(separator: ",").contains(where: { $0.filter { $0 != " " && $0 != "\t" }.lowercased() == "h2c" }),
            head.headers.values("HTTP2-Settings").count == 1, let encoded = head.headers["HTTP2-Settings"],
            let settings = Self.base64URL(encoded)
        else { return nil }
        var fields: [HTTP2Session.Field] = []
        var authority: String?
        for (name, value) in head.headers {
            switch name.lowercased() {
            case "host": authority = value
            case "connection", "upgrade", "http2-settings", "keep-alive", "transfer-encoding", "proxy-connection": continue
            default: fields.append(HTTP2Session.Field(name.lowercased(), value))
            }
        }
        let request = HTTP2Session.Request(streamID: 1, method: head.method.rawValue, path: head.target, authority: authority,
            scheme: "http", headers: fields, body: [])
        return HTTP2Connection.Upgrade(request: request, settings: settings)
    }

    /// base64url without padding, as HTTP2-Settings carries it.
    static func base64URL(_ text: String) -> [UInt8]? {
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while standard.utf8.count % 4 != 0 { standard.append("=") }
        return Base64.decode(standard)
    }
}
