import HTTPCore
import Reactor
import Synchronization
import TLS

/// Runs requests through a router or a handler without a socket and records every answer:
/// at once, deferred, or streamed. Routes are tested with it as a connection would call them,
/// on the loop's own thread, so parking, timers and wake-ups are the real ones.
///
/// One recorder stands for one connection: a request is handled after the previous one has
/// been answered (or was interrupted), as on a keep-alive connection. The events are read from
/// any thread.
public final class RequestRecorder: @unchecked Sendable {
    /// What the handler did, in order.
    public enum Event: Sendable {
        /// A whole answer, at once or deferred.
        case response(HTTPResponse)
        /// A streamed answer's head.
        case streamStarted(HTTPStatus, HTTPHeaders)
        case chunk([UInt8])
        /// The streamed answer ended.
        case finished
    }

    public let loop: EventLoop
    public let isSecure: Bool
    public let peerIdentity: PeerIdentity?
    public let stats: HTTPServerStats

    // Loop-confined, as on a connection.
    var parked = false
    var token: UInt64 = 0
    var onInterrupt: DeferredResponse.InterruptHandler?
    /// The principal the handler named for the last request (`RequestContext.principal`).
    public internal(set) var principal: String?
    var answerObserver: AnswerObserver?
    /// `RequestContext.connectionMemo`: the recorder's requests share it, like a connection's.
    var connectionMemo: AnyObject?
    var streaming = false

    private let log: Mutex<(events: [Event], waiters: [(Int, CheckedContinuation<Event, Never>)])>

    /// - Parameters:
    ///   - loop: a running loop; handlers run on its thread.
    ///   - isSecure: as if the request came over TLS.
    ///   - peerIdentity: a verified client certificate's identity, as the TLS layer reports it.
    public init(loop: EventLoop, isSecure: Bool = false, peerIdentity: PeerIdentity? = nil, stats: HTTPServerStats = HTTPServerStats()) {
        self.loop = loop
        self.isSecure = isSecure
        self.peerIdentity = peerIdentity
        self.stats = stats
        // Room for a request's answer (or a short stream) up front, so recording it allocates
        // nothing: the allocation budget tests count the loop's thread while it answers.
        var events: [Event] = []
        events.reserveCapacity(4)
        log = Mutex((events, []))
    }

    /// Every event recorded so far.
    public var events: [Event] { log.withLock { $0.events } }

    /// Routes and handles a request on the loop's thread, as a connection does: a path that
    /// matches no route gets the server's routing problem (404, 405 with Allow, 400 bad-path).
    /// Returns at once; read the answer with `event(_:)` or `response(_:)`.
    public func send(_ request: HTTPRequestHead, body: [UInt8] = [], to router: Router) {
        loop.execute { [self] in handleNow(request, body: body, router: router) }
    }

    /// As `send`, awaiting the first answer the request gets (a whole one or a stream's head).
    public func respond(_ request: HTTPRequestHead, body: [UInt8] = [], to router: Router) async -> Event {
        let next = log.withLock { $0.events.count }
        send(request, body: body, to: router)
        return await event(next)
    }

    /// The request's whole answer, or nil when it started a stream instead.
    public func response(_ request: HTTPRequestHead, body: [UInt8] = [], to router: Router) async -> HTTPResponse? {
        guard case .response(let response) = await respond(request, body: body, to: router) else { return nil }
        return response
    }

    /// Handles now; must run on the loop's thread.
    public func handleNow(_ head: HTTPRequestHead, body: [UInt8] = [], router: Router) {
        precondition(loop.inEventLoop, "RequestRecorder handles requests on its loop's thread")
        principal = nil
        answerObserver = nil
        precondition(!parked && !streaming, "the previous request has not been answered")
        let match = router.match(method: head.method, path: head.path)
        guard case .found(let handler, let parameters) = match else {
            record(.response(ServerLoop.routingProblem(match, head: head)))
            return
        }
        let request = HTTPRequest(head: head, body: body, pathParameters: parameters)
        switch handler(request, RequestContext(source: self)) {
        case .response(let response):
            if parked { unpark() }
            record(.response(response))
        case .deferred:
            precondition(parked, "a handler returned .deferred without deferResponse()")
        }
    }

    /// Interrupts the parked request as a connection would: its client left, or the server is
    /// shutting down. Returns once the handler's interruption callback has run.
    public func interrupt(_ reason: DeferredResponse.Interruption) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute { [self] in
                interruptParked(reason)
                done.resume()
            }
        }
    }

    /// The event at `index` (0 is the first ever recorded), waiting for it.
    public func event(_ index: Int) async -> Event {
        await withCheckedContinuation { (c: CheckedContinuation<Event, Never>) in
            let ready: Event? = log.withLock { log in
                if index < log.events.count { return log.events[index] }
                log.waiters.append((index, c))
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Waits for the event at `index` for at most `timeout`; nil when none came.
    public func event(_ index: Int, within timeout: Duration) async -> Event? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = log.withLock({ index < $0.events.count ? $0.events[index] : nil }) { return event }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return log.withLock { index < $0.events.count ? $0.events[index] : nil }
    }

    /// The number of events recorded so far.
    public var count: Int { log.withLock { $0.events.count } }

    /// Whether a request is parked (loop thread only).
    public var isParked: Bool { parked }

    func record(_ event: Event) {
        if case .response(let response) = event, let observer = answerObserver {
            answerObserver = nil
            observer(response.status, response.headers)
        }
        let woken: [CheckedContinuation<Event, Never>] = log.withLock { log in
            log.events.append(event)
            // No one waits (the common case): nothing to build.
            if log.waiters.isEmpty { return [] }
            let at = log.events.count - 1
            let ready = log.waiters.filter { $0.0 == at }.map(\.1)
            log.waiters.removeAll { $0.0 == at }
            return ready
        }
        for c in woken { c.resume(returning: event) }
    }

    private func interruptParked(_ reason: DeferredResponse.Interruption) {
        if reason == .clientGone { streaming = false }
        interrupt(reason)
    }
}

extension RequestRecorder: RequestSource, ParkableRequest {
    var serverStats: HTTPServerStats { stats }
    var background: EventLoop? { nil }

    func park(onInterrupt: DeferredResponse.InterruptHandler?) -> DeferredResponse {
        parkRequest(onInterrupt: onInterrupt)
    }

    func completeDeferred(_ token: UInt64, _ response: HTTPResponse) {
        guard token == self.token, parked, !streaming else { return }
        unpark()
        record(.response(response))
    }

    func startStream(_ token: UInt64, _ status: HTTPStatus, _ headers: HTTPHeaders) {
        guard token == self.token, parked, !streaming else { return }
        streaming = true
        record(.streamStarted(status, headers))
    }

    func streamChunk(_ token: UInt64, _ bytes: [UInt8]) {
        guard token == self.token, streaming else { return }
        record(.chunk(bytes))
    }

    func finishStream(_ token: UInt64) {
        guard token == self.token, streaming else { return }
        streaming = false
        unpark()
        record(.finished)
    }
}
