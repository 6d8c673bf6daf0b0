import CZKShims
import SystemCalls
import HTTPCore
import Logging
import Reactor
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on `threads` event loops, each with its own SO_REUSEPORT listener.
/// Handlers run on the loop that owns the connection.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    /// The bound plain address (with the real port when port 0 was asked for); nil when the
    /// server listens only for TLS.
    public let address: SocketAddress?
    /// The bound TLS address, when a TLS listener is configured.
    public let tlsAddress: SocketAddress?
    public let stats: HTTPServerStats
    let loops: [ServerLoop]
    /// The loops' group, when this server made it (and so stops it at shutdown).
    let ownedGroup: EventLoopGroup?
    /// The low-priority loop for bulk work (`RequestContext.offload`), stopped at shutdown.
    let bulk: EventLoopThread
    let logger: Logger
    let drained: DrainCounter
    let stopped = Atomic<Bool>(false)
    /// The access log file this server opened (closed after shutdown), if any.
    let ownedLogFD: Int32?

    final class DrainCounter: Sendable {
        let loops = Atomic<Int>(0)
    }

    /// Binds the listeners and starts serving on `group`'s loops (one listener each; the
    /// group must have `configuration.threads` loops), or on loops of its own when `group` is
    /// nil. A group passed in is left running by `shutdown()`: its maker stops it. Call
    /// `shutdown()` before letting the server go: until then its loops hold it and serve on.
    ///
    /// - Throws: `SystemError` when a port cannot be bound (EADDRINUSE, EACCES) or a loop
    ///   cannot start; the access log file's open error.
    public init(
        configuration: HTTPServerConfiguration, router: Router, logger: Logger, stats: HTTPServerStats = .init(),
        group: EventLoopGroup? = nil
    ) throws(SystemError) {
        precondition(group.map { $0.loops.count == configuration.threads } ?? true, "one loop per thread")
        precondition(configuration.address != nil || configuration.tls != nil, "a plain or a TLS listener")
        self.configuration = configuration
        self.logger = logger
        self.stats = stats
        var listeners: [Int32] = []
        var tlsListeners: [Int32] = []
        var bound = configuration.address
        var tlsBound = configuration.tls?.address
        if let bound { try Socket.ensureAvailable(bound) }
        if let tlsBound { try Socket.ensureAvailable(tlsBound) }
        do {
            for _ in 0..<configuration.threads {
                if let plain = bound {
                    let (fd, address) = try Socket.listen(on: plain)
                    listeners.append(fd)
                    bound = address
                }
                if let tls = tlsBound {
                    let (fd, address) = try Socket.listen(on: tls)
                    tlsListeners.append(fd)
                    tlsBound = address
                }
            }
        } catch {
            (listeners + tlsListeners).forEach { _ = Glibc.close($0) }
            throw error
        }
        address = bound
        tlsAddress = tlsBound
        let accessLogFD: Int32?
        var ownedLogFD: Int32?
        switch configuration.accessLog {
        case .none: accessLogFD = nil
        case .standardOutput: accessLogFD = 1
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                (listeners + tlsListeners).forEach { _ = Glibc.close($0) }
                throw SystemError(code: errno, call: "open(\(path))")
            }
            accessLogFD = fd
            ownedLogFD = fd
        }
        self.ownedLogFD = ownedLogFD
        let running: EventLoopGroup
        if let group {
            running = group
            ownedGroup = nil
        } else {
            do {
                running = try EventLoopGroup(count: configuration.threads, name: "zkgate-loop")
            } catch {
                (listeners + tlsListeners).forEach { _ = Glibc.close($0) }
                if let ownedLogFD { Glibc.close(ownedLogFD) }
                throw error
            }
            ownedGroup = running
        }
        do {
            bulk = try EventLoopThread(loop: try EventLoop(index: configuration.threads), name: "zkgate-bulk", niceness: 10)
        } catch {
            (listeners + tlsListeners).forEach { _ = Glibc.close($0) }
            if let ownedLogFD { Glibc.close(ownedLogFD) }
            ownedGroup?.stop()
            throw error
        }
        var loops: [ServerLoop] = []
        let drained = DrainCounter()
        self.drained = drained
        for i in 0..<configuration.threads {
            let log = accessLogFD.map { AccessLog(fd: $0, ownsFD: false) }
            let serverLoop = ServerLoop(
                loop: running.loops[i], config: configuration, router: router, logger: logger, stats: stats,
                accessLog: log, background: bulk.loop, onDrained: { drained.loops.wrappingAdd(1, ordering: .relaxed) })
            loops.append(serverLoop)
            let fd = listeners.isEmpty ? nil : listeners[i]
            let tlsFD = tlsListeners.isEmpty ? nil : tlsListeners[i]
            // Registrations happen on the loop's own thread.
            serverLoop.loop.execute { serverLoop.start(listenFD: fd, tlsFD: tlsFD) }
        }
        self.loops = loops
    }

    /// Stops accepting, finishes requests in flight, asks parked handlers to answer, and
    /// returns when every connection is closed or `configuration.shutdownTimeout` has passed
    /// (then what is left is answered 503 or closed). Blocks; call from outside the loops.
    /// - Parameter interrupt: polled while waiting; returning true cuts the wait short.
    public func shutdown(interrupt: () -> Bool = { false }) {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        for serverLoop in loops { serverLoop.loop.execute { serverLoop.beginShutdown() } }
        let deadline = zk_monotonic_ns() + configuration.shutdownTimeout
        while drained.loops.load(ordering: .relaxed) < loops.count && zk_monotonic_ns() < deadline && !interrupt() {
            usleep(5_000)
        }
        if drained.loops.load(ordering: .relaxed) < loops.count {
            logger.warning("shutdown deadline reached; closing the remaining connections")
            for serverLoop in loops { serverLoop.loop.execute { serverLoop.forceClose() } }
            usleep(20_000)
        }
        // Work still queued there answers requests that are gone by now.
        bulk.loop.stop()
        bulk.join()
        if let ownedGroup {
            ownedGroup.stop()
            // The threads have ended, so the loops' state is ours to touch: the last log lines
            // out, and the hooks (which hold their ServerLoop) gone.
            for serverLoop in loops { serverLoop.detach() }
        } else {
            // The loops run on: detach from them there and wait, so their hooks let go of the
            // ServerLoops and nothing writes to the log file once it is closed.
            let flushed = Atomic<Int>(0)
            for serverLoop in loops {
                serverLoop.loop.execute {
                    serverLoop.detach()
                    flushed.add(1, ordering: .releasing)
                }
            }
            let deadline = zk_monotonic_ns() + 10_000_000_000
            while flushed.load(ordering: .acquiring) < loops.count && zk_monotonic_ns() < deadline { usleep(1_000) }
            if flushed.load(ordering: .acquiring) < loops.count {
                // A loop that has not detached may still write to the file: leave it open.
                logger.warning("a loop did not detach from the server within 10 s")
                return
            }
        }
        if let ownedLogFD { Glibc.close(ownedLogFD) }
    }
}
