import HTTPCore
import Reactor
import TLS

/// The way to answer a request later, from any thread or from a timer.
///
/// Only the first answer counts. Once the client has gone (or the request was otherwise
/// finished) every call is a no-op, so a late answer is harmless. A parked request holds
/// this handle, the interruption callback, and nothing else: no Task and no read buffer.
public struct DeferredResponse: Sendable {
    /// Why a parked request is being interrupted.
    public enum Interruption: Sendable, Equatable {
        /// The client disconnected; any answer is discarded. Free what the request holds.
        case clientGone
        /// The server is shutting down; answer now (e.g. a long-poll with the unchanged state).
        case shutdown
    }

    /// Called on the loop's thread when a parked request is interrupted.
    public typealias InterruptHandler = @Sendable (Interruption, DeferredResponse) -> Void

    let target: any ResponseTarget
    let token: UInt64

    /// The loop that owns the connection; answering on it costs no thread hop.
    public var loop: EventLoop { target.loop }

    /// Sends the whole response. On the loop's own thread (a wake-up) this writes at once and
    /// allocates nothing; from another thread it hops through the loop's inbox.
    public func respond(_ response: HTTPResponse) {
        if target.loop.inEventLoop {
            target.completeDeferred(token, response)
        } else {
            run { $0.completeDeferred(token, response) }
        }
    }

    /// Starts a streamed response (chunked on HTTP/1.1, close-delimited on HTTP/1.0).
    public func startStream(status: HTTPStatus = .ok, headers: HTTPHeaders) {
        run { $0.startStream(token, status, headers) }
    }

    /// Sends part of a streamed response. A client that lets more than
    /// `HTTPServerConfiguration.maxOutboundBytes` pile up is dropped (`.clientGone`).
    public func send(_ bytes: [UInt8]) {
        if target.loop.inEventLoop {
            target.streamChunk(token, bytes)
        } else {
            run { $0.streamChunk(token, bytes) }
        }
    }

    /// Ends a streamed response.
    public func finish() {
        run { $0.finishStream(token) }
    }

    private func run(_ body: @escaping @Sendable (any ResponseTarget) -> Void) {
        let target = self.target
        if target.loop.inEventLoop {
            body(target)
        } else {
            target.loop.execute { body(target) }
        }
    }
}

/// Where a deferred answer goes: an HTTP/1.1 connection, or one HTTP/2 stream. Called on its
/// loop only; `token` tells a current request from one already finished.
protocol ResponseTarget: AnyObject, Sendable {
    var loop: EventLoop { get }
    func completeDeferred(_ token: UInt64, _ response: HTTPResponse)
    func startStream(_ token: UInt64, _ status: HTTPStatus, _ headers: HTTPHeaders)
    func streamChunk(_ token: UInt64, _ bytes: [UInt8])
    func finishStream(_ token: UInt64)
    /// Whether `token` is still the parked request, and if so gives it a new interruption
    /// callback: a request resumed after off-loop work is parked again by its handler.
    func adopt(_ token: UInt64, onInterrupt: DeferredResponse.InterruptHandler?) -> Bool
}

/// Told a request's answer: its status and header fields.
public typealias AnswerObserver = @Sendable (HTTPStatus, HTTPHeaders) -> Void

/// Where a request came from, as its handler sees it.
protocol RequestSource: AnyObject {
    var loop: EventLoop { get }
    var isSecure: Bool { get }
    var peerIdentity: PeerIdentity? { get }
    /// The server's low-priority loop for bulk work, if it has one.
    var background: EventLoop? { get }
    /// Who the current request is from, once authentication has said (for the access log).
    var principal: String? { get set }
    /// Told the status and fields of the current request's whole answer, once it is sent.
    var answerObserver: AnswerObserver? { get set }
    /// The application's state for the connection the request came on (`RequestContext.connectionMemo`).
    var connectionMemo: AnyObject? { get set }
    func park(onInterrupt: DeferredResponse.InterruptHandler?) -> DeferredResponse
}

/// What a handler may do with its request besides answering at once. Valid only during the
/// handler call, on the loop's thread.
public struct RequestContext {
    unowned(unsafe) let source: any RequestSource

    /// The loop running this handler; timers scheduled on it fire on this thread.
    public var loop: EventLoop { source.loop }

    /// Whether the request came over TLS.
    public var isSecure: Bool { source.isSecure }

    /// The verified client certificate's identity (subject CN and SANs), for access control;
    /// nil on plain HTTP and for a TLS client that sent none (optional client authentication).
    public var peerIdentity: PeerIdentity? { source.peerIdentity }

    /// Who the request is from, as the application's authentication decided; the access log
    /// names it (`-` while unset). Set it before parking the request.
    public var principal: String? {
        get { source.principal }
        nonmutating set { source.principal = newValue }
    }

    /// What the application keeps for the lifetime of the connection the request came on
    /// (nil at first): for example the principal its credentials named, so that the next
    /// request sending the same credentials is not authenticated again. Requests of one
    /// connection share it; a request resumed after off-loop work sees nil and its writes are
    /// dropped. Loop-confined, like the connection.
    public var connectionMemo: AnyObject? {
        get { source.connectionMemo }
        nonmutating set { source.connectionMemo = newValue }
    }

    /// Calls `observer` on the loop when the request's whole answer is sent (not for
    /// streamed answers, nor when the client leaves first): for an audit trail that needs
    /// the outcome. Set it before parking the request.
    public func onAnswer(_ observer: @escaping AnswerObserver) {
        source.answerObserver = observer
    }

    /// Parks the request: the handler then returns `.deferred` and answers through the handle.
    /// `onInterrupt` runs on the loop's thread if the client leaves or the server shuts down
    /// first; it gets the same handle, so a shutdown can be answered at once.
    public func deferResponse(onInterrupt: DeferredResponse.InterruptHandler? = nil) -> DeferredResponse
    {
        source.park(onInterrupt: onInterrupt)
    }
}
