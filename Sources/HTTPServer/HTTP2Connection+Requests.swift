import HTTP2
import HTTPCore
import Reactor
import TLS

extension HTTP2Connection {
    /// Routes one request, as an HTTP/1.1 connection does, and answers it on its stream.
    func dispatch(_ request: HTTP2Session.Request) {
        owner.stats.add(owner.stats.requests)
        var headers = HTTPHeaders(request.headers.map { ($0.name, $0.value) })
        if let authority = request.authority, !headers.contains("host") { headers.add(name: "host", value: authority) }
        let head = HTTPRequestHead(method: HTTPMethod(rawValue: request.method), target: request.path, version: .http2,
            headers: headers, framing: request.body.isEmpty ? .none : .length(request.body.count))
        let startedAt = owner.accessLog == nil ? loop.now : EventLoop.preciseNow
        // HTTP/1.1 checks Host as it parses the field; here the field (or :authority) is only
        // known now, and must meet the same syntax.
        if let host = headers["host"], !HostSyntax.isValid(host) {
            return respondWhole(request.streamID, head: head, startedAt: startedAt, .problem(for: .invalidHost))
        }
        if let refusal = owner.refusal(for: head, tls: tls, peerIdentity: peerIdentity) {
            return respondWhole(request.streamID, head: head, startedAt: startedAt, refusal)
        }
        let match = owner.router.match(method: head.method, path: head.path)
        switch match {
        case .found(let handler, let parameters):
            let httpRequest = HTTPRequest(head: head, body: request.body, pathParameters: parameters, remoteAddress: remote)
            // The connection is the handler's source; a stream object is made only if it parks.
            current = (request.streamID, head, startedAt)
            currentAnswered = false
            currentPrincipal = nil
            currentObserver = nil
            let result = handler(httpRequest, RequestContext(source: self))
            current = nil
            switch result {
            case .response(let response):
                if let stream = streams.removeValue(forKey: request.streamID) { stream.unpark() }
                respondWhole(request.streamID, head: head, startedAt: startedAt, principal: currentPrincipal, response)
                if let observer = currentObserver {
                    currentObserver = nil
                    observer(response.status, response.headers)
                }
            case .deferred:
                // Parked (its stream waits), or parked and already answered within the handler.
                if streams[request.streamID] == nil && !currentAnswered {
                    owner.logger.error("handler returned .deferred without deferResponse()", metadata: ["path": "\(head.path)"])
                    respondWhole(request.streamID, head: head, startedAt: startedAt,
                        .problem(.internalServerError, type: "internal", detail: "The handler did not answer."))
                }
            }
        case .notFound, .methodNotAllowed, .badPath:
            respondWhole(request.streamID, head: head, startedAt: startedAt, ServerLoop.routingProblem(match, head: head))
        }
    }

    /// Sends a whole answer on a stream, without the fields HTTP/2 forbids.
    func respondWhole(_ id: Int32, head: HTTPRequestHead?, startedAt: UInt64, principal: String? = nil, _ response: HTTPResponse) {
        guard !closed else { return }
        if current?.id == id { currentAnswered = true }
        let bodyAllowed = !response.status.forbidsBody && head?.method != .head
        var fields = Self.fields(response.headers)
        fields.append(HTTP2Session.Field("date", String(decoding: owner.currentDate(), as: UTF8.self)))
        if tls != nil { fields += owner.tlsServerFieldList }
        if !response.status.forbidsBody {
            fields.append(HTTP2Session.Field("content-length", String(response.body.count)))
        }
        session.respond(streamID: id, status: response.status.code, headers: fields, body: bodyAllowed ? response.body : [])
        log(head: head, principal: principal, status: response.status.code, bytes: bodyAllowed ? response.body.count : 0,
            startedAt: startedAt)
        scheduleFlush()
    }

    /// Response fields for HTTP/2: connection-specific ones are not allowed there (RFC 9113
    /// §8.2.2), and names are lowercase.
    static func fields(_ headers: HTTPHeaders) -> [HTTP2Session.Field] {
        var fields: [HTTP2Session.Field] = []
        // Room for the date, HSTS and content-length appended after: no regrowth per answer.
        fields.reserveCapacity(headers.count + 3)
        for (name, value) in headers {
            // Most names are written lowercase already; lowercasing allocates.
            let lower = name.utf8.contains(where: { (0x41...0x5A).contains($0) }) ? name.lowercased() : name
            switch lower {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length": continue
            default: fields.append(HTTP2Session.Field(lower, value))
            }
        }
        return fields
    }

    func log(head: HTTPRequestHead?, principal: String?, status: Int, bytes: Int, startedAt: UInt64) {
        if status >= 500 {
            owner.stats.add(owner.stats.serverErrors)
        } else if status >= 400 {
            owner.stats.add(owner.stats.clientErrors)
        }
        owner.accessLog?.record(date: owner.currentDate(), remote: remoteText, principal: principal, head: head,
            status: status, bytes: bytes,
            micros: (EventLoop.preciseNow &- startedAt) / 1000)
    }
}

extension HTTP2Connection: RequestSource {
    var isSecure: Bool { tls != nil }
    var background: EventLoop? { owner.background }
    var principal: String? {
        get { currentPrincipal }
        set { currentPrincipal = newValue }
    }
    var answerObserver: AnswerObserver? {
        get { currentObserver }
        set { currentObserver = newValue }
    }

    /// Parks the request whose handler is running: it gets a stream object of its own.
    func park(onInterrupt: DeferredResponse.InterruptHandler?) -> DeferredResponse {
        guard let current else { preconditionFailure("deferResponse() is for the handler of the current request") }
        let stream = HTTP2Stream(id: current.id, connection: self, head: current.head, startedAt: current.startedAt)
        stream.principal = currentPrincipal
        stream.observer = currentObserver
        streams[current.id] = stream
        return stream.parkRequest(onInterrupt: onInterrupt)
    }
}

/// One request on an HTTP/2 connection, while its handler has not answered: the target of
/// its deferred answer. Loop-confined, like its connection.
final class HTTP2Stream: ParkableRequest, @unchecked Sendable {
    let id: Int32
    /// Strong: a deferred answer can outlive the connection (a task answering after the client
    /// left), and it reaches the loop and the `closed` flag through here. No cycle outlives
    /// the connection, whose close empties `streams`.
    let connection: HTTP2Connection
    let head: HTTPRequestHead
    let startedAt: UInt64
    var principal: String?
    var observer: AnswerObserver?
    var token: UInt64 = 0
    var parked = false
    var streaming = false
    var streamStatus = 0
    var streamBytes = 0
    var onInterrupt: DeferredResponse.InterruptHandler?

    init(id: Int32, connection: HTTP2Connection, head: HTTPRequestHead, startedAt: UInt64) {
        self.id = id
        self.connection = connection
        self.head = head
        self.startedAt = startedAt
    }

    var loop: EventLoop { connection.owner.loop }
    var serverStats: HTTPServerStats { connection.owner.stats }

    private func isCurrent(_ t: UInt64) -> Bool { parked && t == token && !connection.closed }

    func completeDeferred(_ t: UInt64, _ response: HTTPResponse) {
        guard isCurrent(t), !streaming else { return }
        unpark()
        connection.streams.removeValue(forKey: id)
        connection.respondWhole(id, head: head, startedAt: startedAt, principal: principal, response)
        if let observer {
            self.observer = nil
            observer(response.status, response.headers)
        }
    }

    func startStream(_ t: UInt64, _ status: HTTPStatus, _ headers: HTTPHeaders) {
        guard isCurrent(t), !streaming else { return }
        streaming = true
        streamStatus = status.code
        var fields = HTTP2Connection.fields(headers)
        fields.append(HTTP2Session.Field("date", String(decoding: connection.owner.currentDate(), as: UTF8.self)))
        if connection.tls != nil { fields += connection.owner.tlsServerFieldList }
        connection.session.startStream(streamID: id, status: status.code, headers: fields)
        if head.method == .head { return finishStream(t) }
        connection.scheduleFlush()
    }

    func streamChunk(_ t: UInt64, _ bytes: [UInt8]) {
        guard isCurrent(t), streaming, !bytes.isEmpty, head.method != .head else { return }
        streamBytes += bytes.count
        connection.session.send(streamID: id, bytes)
        connection.scheduleFlush()
    }

    func finishStream(_ t: UInt64) {
        guard isCurrent(t), streaming else { return }
        connection.session.finish(streamID: id)
        unpark()
        connection.streams.removeValue(forKey: id)
        connection.log(head: head, principal: principal, status: streamStatus, bytes: streamBytes, startedAt: startedAt)
        connection.scheduleFlush()
    }
}
