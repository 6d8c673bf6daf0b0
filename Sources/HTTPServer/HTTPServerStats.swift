import Synchronization

/// Server-wide counters, safe to read from any thread (relaxed atomics, no locks; the list of
/// registered metrics is behind a lock, taken once per scrape).
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

    /// Counters kept outside the HTTP server (the ZooKeeper backend's), registered once at start
    /// and served on /metrics after the server's own.
    private let registered = Mutex<[RegisteredMetric]>([])

    public init() {}

    /// Adds a metric read (relaxed, on every scrape) from another part of the process.
    public func register(_ metric: RegisteredMetric) {
        registered.withLock { $0.append(metric) }
    }

    /// The metrics registered so far, in registration order.
    public var registeredMetrics: [RegisteredMetric] { registered.withLock { $0 } }

    @inline(__always) func add(_ counter: borrowing Atomic<Int>, _ n: Int = 1) {
        counter.wrappingAdd(n, ordering: .relaxed)
    }
}

/// A counter or gauge that another module keeps, exposed through the server's /metrics.
public struct RegisteredMetric: Sendable {
    public var name: String
    /// `counter` or `gauge`.
    public var type: String
    public var help: String
    public var value: @Sendable () -> Int

    public init(name: String, type: String, help: String, value: @escaping @Sendable () -> Int) {
        self.name = name
        self.type = type
        self.help = help
        self.value = value
    }
}
