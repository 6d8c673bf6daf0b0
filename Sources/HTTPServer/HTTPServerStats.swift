import Synchronization

/// Server-wide counters, safe to read from any thread (relaxed atomics, no locks).
public final class HTTPServerStats: Sendable {
    public let openConnections = Atomic<Int>(0)
    public let acceptedConnections = Atomic<Int>(0)
    public let requests = Atomic<Int>(0)
    public let parkedRequests = Atomic<Int>(0)
    /// Parked requests whose client left before the answer.
    public let abandonedParkedRequests = Atomic<Int>(0)
    public let clientErrors = Atomic<Int>(0)
    public let serverErrors = Atomic<Int>(0)
    /// Accepts refused because the process ran out of descriptors.
    public let descriptorExhaustion = Atomic<Int>(0)
    /// TLS connections closed by a failed handshake or a bad record.
    public let tlsFailures = Atomic<Int>(0)
    /// HTTP/2 connections closed for resetting streams too fast (rapid reset).
    public let http2ResetFloods = Atomic<Int>(0)
    /// Connections that switched to HTTP/2 (h2 by ALPN, or h2c with prior knowledge).
    public let http2Connections = Atomic<Int>(0)

    public init() {}

    @inline(__always) func add(_ counter: borrowing Atomic<Int>, _ n: Int = 1) {
        counter.wrappingAdd(n, ordering: .relaxed)
    }
}
