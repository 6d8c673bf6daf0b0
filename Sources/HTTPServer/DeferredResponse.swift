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

    let connection: HTTP1Connection
    let token: UInt64

    /// The loop that owns the connection; answering on it costs no thread hop.
    public var loop: EventLoop { connection.owner.loop }

    /// Sends the whole response. On the loop's own thread (a wake-up) this writes at once and
    /// allocates nothing; from another thread it hops through the loop's inbox.
    public func respond(_ response: HTTPResponse) {
        if connection.owner.loop.inEventLoop {
            connection.completeDeferred(token, response)
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
        if connection.owner.loop.inEventLoop {
            connection.streamChunk(token, bytes)
        } else {
            run { $0.streamChunk(token, bytes) }
        }
    }

    /// Ends a streamed response.
    public func finish() {
        run { $0.finishStream(token) }
    }

    private func run(_ body: @escaping @Sendable (HTTP1Connection) -> Void) {
        let connection = self.connection
        if connection.owner.loop.inEventLoop {
            body(connection)
        } else {
            connection.owner.loop.execute { body(connection) }
        }
    }
}

/// What a handler may do with its request besides answering at once. Valid only during the
/// handler call, on the loop's thread.
public struct RequestContext {
    unowned(unsafe) let connection: HTTP1Connection

    /// The loop running this handler; timers scheduled on it fire on this thread.
    public var loop: EventLoop { connection.owner.loop }

    /// Whether the request came over TLS.
    public var isSecure: Bool { connection.tls != nil }

    /// The verified client certificate's identity (subject CN and SANs), for access control;
    /// nil on plain HTTP and for a TLS client that sent none (optional client authentication).
    public var peerIdentity: PeerIdentity? { connection.peerIdentity }

    /// Parks the request: the handler then returns `.deferred` and answers through the handle.
    /// `onInterrupt` runs on the loop's thread if the client leaves or the server shuts down
    /// first; it gets the same handle, so a shutdown can be answered at once.
    public func deferResponse(onInterrupt: DeferredResponse.InterruptHandler? = nil) -> DeferredResponse
    {
        connection.park(onInterrupt: onInterrupt)
    }
}
