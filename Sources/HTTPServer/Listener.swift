import CZKShims
import SystemCalls
import Logging
import Reactor
import TLS

#if canImport(Glibc)
import Glibc
#endif

/// Accepts connections in batches. Running out of descriptors never stops it: a reserve
/// descriptor is given up to accept and shed the newest connection (libuv's EMFILE trick).
final class Listener: EventHandler {
    let fd: Int32
    /// The loop outlives its connections; `unowned(unsafe)` avoids refcounting per access.
    unowned(unsafe) let owner: ServerLoop
    var registration: EventLoop.RegistrationID?
    var reserveFD: Int32
    var lastExhaustionLog: UInt64 = 0
    var paused = false
    static let batch = 64
    /// How long accepting pauses when not even the reserve descriptor can be had.
    static let exhaustionBackoff: UInt64 = 100_000_000

    /// Where this listener's connections get their TLS context; nil for plain HTTP.
    let tls: TLSContextSource?

    init(fd: Int32, owner: ServerLoop, tls: TLSContextSource?) throws(SystemError) {
        self.fd = fd
        self.owner = owner
        self.tls = tls
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        registration = try owner.loop.register(fd: fd, interest: Readiness.readable, handler: self)
    }

    func handleEvents(_ events: UInt32) {
        var peer = sockaddr_storage()
        for _ in 0..<Self.batch {
            do {
                switch try Socket.accept(fd, peer: &peer) {
                case .wouldBlock:
                    return
                case .done(let client):
                    try? Socket.setOption(client, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
                    owner.adopt(fd: client, peer: SocketAddress(storage: peer), tls: tls)
                }
            } catch {
                switch error.code {
                case ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP,
                    ENETUNREACH:
                    continue  // the peer gave up before we accepted; nothing to do
                case EMFILE, ENFILE:
                    shedOneConnection()
                    return
                default:
                    owner.logger.error("accept failed", metadata: ["error": "\(error)"])
                    return
                }
            }
        }
    }

    /// Frees the reserve descriptor to accept and close the newest connection, so the client
    /// is told (by the close) instead of waiting in the backlog. If the reserve is gone (another
    /// loop took the descriptor it freed), accepting pauses briefly: a level-triggered listener
    /// that cannot be drained would otherwise wake the loop forever.
    private func shedOneConnection() {
        if reserveFD >= 0 {
            Glibc.close(reserveFD)
            reserveFD = -1
            var peer = sockaddr_storage()
            if case .done(let client)? = try? Socket.accept(fd, peer: &peer) {
                Glibc.close(client)
                countShed()
            }
            reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        if reserveFD < 0 { pause() }
    }

    /// Counts (and logs, at most every 5 s) a connection that was actually shed; accept4
    /// reports EMFILE even with an empty backlog, which sheds nothing.
    private func countShed() {
        owner.stats.add(owner.stats.descriptorExhaustion)
        let now = owner.loop.now
        if now - lastExhaustionLog > 5 * HTTPServerConfiguration.second {
            lastExhaustionLog = now
            owner.logger.warning("out of file descriptors: shedding new connections; raise LimitNOFILE or add replicas")
        }
    }

    private func pause() {
        guard !paused, let registration else { return }
        paused = true
        try? owner.loop.modify(registration, interest: 0)
        owner.loop.schedule(after: Self.exhaustionBackoff) { [weak self] in self?.resume() }
    }

    private func resume() {
        guard paused, let registration else { return }
        paused = false
        if reserveFD < 0 { reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC) }
        try? owner.loop.modify(registration, interest: Readiness.readable)
    }

    func close() {
        if let registration { owner.loop.deregister(registration) }
        registration = nil
        Glibc.close(fd)
        if reserveFD >= 0 { Glibc.close(reserveFD) }
        reserveFD = -1
    }
}
