import CZKShims
import HTTPCore
import Logging
import Reactor
import TLS
import HTTP2

#if canImport(Glibc)
import Glibc
#endif

/// The server's state on one event loop: its listener, its connections, and buffers shared
/// by those connections (they run one at a time on this thread).
final class ServerLoop: @unchecked Sendable {
    let loop: EventLoop
    let config: HTTPServerConfiguration
    let router: Router
    let logger: Logger
    let stats: HTTPServerStats
    /// The server's low-priority loop for work that grows with a request (`offload`).
    let background: EventLoop?
    let onDrained: @Sendable () -> Void
    var listener: Listener?
    var tlsListener: Listener?
    var connections: [ObjectIdentifier: any ServerConnection] = [:]
    /// Every connection reads into this, so an idle connection holds no read buffer.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Responses are serialized here and written straight away.
    var scratch: [UInt8] = []
    var accessLog: AccessLog?
    var flushHook: Int?
    var shuttingDown = false
    /// HTTP/2 connections with frames to send, written once per loop iteration: a fan-out
    /// that answers 200 streams of one connection makes one send, not 200.
    var http2Pending: [HTTP2Connection] = []
    /// Fields added to every answer over TLS, rendered for HTTP/1.1 (`\r\nName: value`).
    let tlsServerFields: [UInt8]
    /// The same fields for HTTP/2 (lowercase names).
    let tlsServerFieldList: [HTTP2Session.Field]
    private var dateSecond: Int64 = -1
    private(set) var date: [UInt8] = []

    static let readBufferSize = 64 << 10

    init(
        loop: EventLoop, config: HTTPServerConfiguration, router: Router, logger: Logger, stats: HTTPServerStats,
        accessLog: AccessLog?, background: EventLoop? = nil, onDrained: @escaping @Sendable () -> Void
    ) {
        self.loop = loop
        self.background = background
        self.config = config
        self.router = router
        self.logger = logger
        self.stats = stats
        self.accessLog = accessLog
        self.onDrained = onDrained
        if let maxAge = config.tls?.hstsMaxAge {
            tlsServerFields = Array("\r\nStrict-Transport-Security: max-age=\(maxAge)".utf8)
            tlsServerFieldList = [HTTP2Session.Field("strict-transport-security", "max-age=\(maxAge)")]
        } else {
            tlsServerFields = []
            tlsServerFieldList = []
        }
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        scratch.reserveCapacity(Self.readBufferSize)
    }

    deinit { readBuffer.deallocate() }

    /// Starts accepting plain connections on `listenFD`, and TLS ones on `tlsFD`. Loop thread only.
    func start(listenFD: Int32?, tlsFD: Int32?) {
        // Strong, so a loop that outlives the server (one shared with others) never calls a
        // freed object; `detach()` removes the hook and ends the cycle. Not weak: a weak
        // reference gives the object a side table, and every retain and release of it (a few
        // per request) then takes the slow path, measured at 400 instructions a request.
        flushHook = loop.addIterationHook { [self] in
            accessLog?.flush()
            flushHTTP2()
        }
        do {
            if let listenFD { listener = try Listener(fd: listenFD, owner: self, tls: nil) }
            if let tlsFD { tlsListener = try Listener(fd: tlsFD, owner: self, tls: config.tls?.source) }
        } catch {
            logger.critical("cannot watch the listening socket", metadata: ["error": "\(error)"])
            if let listenFD { close(listenFD) }
            if let tlsFD { close(tlsFD) }
        }
    }

    /// The cached IMF-fixdate for the Date header, refreshed when the second changes.
    @inline(__always)
    func currentDate() -> [UInt8] {
        let second = zk_realtime_coarse_s()
        if second != dateSecond {
            dateSecond = second
            date = Array(HTTPDate.format(epochSeconds: second).utf8)
        }
        return date
    }

    func adopt(fd: Int32, peer: SocketAddress?, tls: TLSContextSource?) {
        if shuttingDown {
            close(fd)
            return
        }
        do {
            let session: TLSSession?
            do { session = try tls.map { try TLSSession(context: $0.context) } } catch {
                logger.warning("cannot start TLS on a connection", metadata: ["error": "\(error)"])
                close(fd)
                return
            }
            let connection = try HTTP1Connection(fd: fd, owner: self, remote: peer, tls: session)
            connections[ObjectIdentifier(connection)] = connection
            stats.add(stats.openConnections)
            stats.add(stats.acceptedConnections)
        } catch {
            logger.warning("cannot register a connection", metadata: ["error": "\(error)"])
            close(fd)
        }
    }

    /// Hands an HTTP/1.1 connection's socket to HTTP/2 (a client that opened with the HTTP/2
    /// preface, or chose h2 by ALPN): `initial` is what was read past the handshake.
    func upgradeToHTTP2(_ connection: HTTP1Connection, initial: [UInt8], upgrade: HTTP2Connection.Upgrade? = nil) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
        let fd = connection.detach()
        do {
            let h2 = try HTTP2Connection(
                fd: fd, owner: self, remote: connection.remote, tls: connection.tls, peerIdentity: connection.peerIdentity)
            connections[ObjectIdentifier(h2)] = h2
            stats.add(stats.http2Connections)
            h2.start(initial, upgrade: upgrade)
        } catch {
            logger.warning("cannot start HTTP/2 on a connection", metadata: ["error": "\(error)"])
            close(fd)
            stats.add(stats.openConnections, -1)
            if shuttingDown && connections.isEmpty { onDrained() }
        }
    }

    func connectionClosed(_ connection: any ServerConnection) {
        guard connections.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        stats.add(stats.openConnections, -1)
        if shuttingDown && connections.isEmpty { onDrained() }
    }

    /// Stops accepting, closes idle connections, lets requests in flight finish, and asks
    /// parked handlers to answer now.
    func beginShutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        listener?.close()
        listener = nil
        tlsListener?.close()
        tlsListener = nil
        for connection in Array(connections.values) { connection.shutdownRequested() }
        if connections.isEmpty { onDrained() }
    }

    /// After shutdown, on a loop that runs on for others: the last log lines out, and the
    /// loop no longer calls into this object.
    func detach() {
        accessLog?.flush()
        if let flushHook { loop.removeIterationHook(flushHook) }
        flushHook = nil
    }

    /// At the shutdown deadline: answers what is still parked with 503 and closes everything.
    func forceClose() {
        for connection in Array(connections.values) { connection.forceClose() }
    }

    /// A request refused before routing: with optional client authentication, a TLS client
    /// without a certificate may reach only the listener's anonymous paths.
    func refusal(for head: HTTPRequestHead, tls: TLSSession?, peerIdentity: PeerIdentity?) -> HTTPResponse? {
        guard let tls, tls.context?.configuration.clientAuthentication == .optional, peerIdentity == nil,
            let anonymous = config.tls?.anonymousPaths ?? nil, !anonymous.contains(String(head.path))
        else { return nil }
        // The handshake let a client without a certificate in, so it can read why it is
        // refused here.
        return .problem(.unauthorized, type: "client-certificate-required",
            detail: "This listener serves \(head.path) only to clients with a certificate from its client CA.")
    }

    /// The answer for a request no route takes.
    static func routingProblem(_ match: Router.Match, head: HTTPRequestHead) -> HTTPResponse {
        switch match {
        case .notFound, .found:
            return .problem(.notFound, type: "not-found", detail: "No route for \(head.path).")
        case .methodNotAllowed(let allow):
            let allowed = allow.map(\.rawValue).joined(separator: ", ")
            if head.method == .options { return HTTPResponse(status: .noContent, headers: ["Allow": allowed]) }
            return .problem(.methodNotAllowed, type: "method-not-allowed",
                detail: "\(head.method) is not allowed here; allowed: \(allowed).", headers: ["Allow": allowed])
        case .badPath:
            return .problem(.badRequest, type: "bad-path", detail: "The path has invalid percent-encoding, an encoded '/', or a NUL.")
        }
    }

    /// Writes what each HTTP/2 connection queued during this iteration.
    func flushHTTP2() {
        guard !http2Pending.isEmpty else { return }
        let pending = http2Pending
        http2Pending.removeAll(keepingCapacity: true)
        for connection in pending {
            connection.flushScheduled = false
            connection.flush()
        }
    }
}
