import HTTPCore
import Reactor
import TLS

/// Everything the server needs to know; every limit has a documented default.
public struct HTTPServerConfiguration: Sendable {
    /// Where to listen for plain HTTP; port 0 picks a free port (read it back from
    /// `HTTPServer.address`). Nil for none: a server that serves only over TLS (with client
    /// certificates required, a plain listener would let every client around them).
    public var address: SocketAddress?
    /// Event loop threads, each with its own SO_REUSEPORT listener. Defaults to the core count.
    public var threads: Int
    /// Request size limits (414, 431, 413).
    public var limits: HTTP1RequestParser.Limits
    /// A keep-alive connection with no request in progress is closed after this (ns).
    public var idleTimeout: UInt64
    /// A request head must arrive within this from its first byte, else 408 (ns).
    public var headerTimeout: UInt64
    /// A request body must arrive within this from the end of the head, else 408 (ns).
    public var bodyTimeout: UInt64
    /// A client that does not read our response for this long is dropped (ns).
    public var writeTimeout: UInt64
    /// After an error answer, unread request bytes are drained for at most this long before
    /// closing, so the client sees the answer instead of a reset (ns).
    public var lingerTimeout: UInt64
    /// Graceful shutdown waits this long for requests in flight (ns).
    public var shutdownTimeout: UInt64
    /// Response bytes queued for one slow client before it is dropped.
    public var maxOutboundBytes: Int
    /// Access log destination: nil for none.
    public var accessLog: AccessLogDestination?
    /// A TLS listener beside the plain one, when set: same routes, same loops.
    public var tls: TLSListener?

    /// Where TLS connections are accepted, and with what certificate.
    public struct TLSListener: Sendable {
        public var address: SocketAddress
        public var source: TLSContextSource
        /// With optional client authentication, the paths served to a client without a
        /// certificate (health probes); every other request then gets 401. Nil leaves the
        /// decision to the application (an access policy, under which such a client is
        /// anonymous or names itself with a bearer token).
        public var anonymousPaths: Set<String>?
        /// `Strict-Transport-Security: max-age=` on every answer over TLS (RFC 6797 §7.1; never
        /// over plain HTTP, §7.2), so a browser that once reached this host over TLS does not
        /// fall back to plain HTTP; nil for none.
        public var hstsMaxAge: Int?

        public init(
            address: SocketAddress, source: TLSContextSource, anonymousPaths: Set<String>? = [], hstsMaxAge: Int? = nil
        ) {
            self.address = address
            self.source = source
            self.anonymousPaths = anonymousPaths
            self.hstsMaxAge = hstsMaxAge
        }
    }

    public enum AccessLogDestination: Sendable, Equatable {
        case standardOutput
        case file(String)
    }

    public static let second: UInt64 = 1_000_000_000

    public init(
        address: SocketAddress?, threads: Int = HTTPServerConfiguration.coreCount,
        limits: HTTP1RequestParser.Limits = .init(), idleTimeout: UInt64 = 60 * second,
        headerTimeout: UInt64 = 10 * second, bodyTimeout: UInt64 = 30 * second,
        writeTimeout: UInt64 = 60 * second, lingerTimeout: UInt64 = 2 * second,
        shutdownTimeout: UInt64 = 10 * second, maxOutboundBytes: Int = 4 << 20,
        accessLog: AccessLogDestination? = .standardOutput, tls: TLSListener? = nil
    ) {
        self.address = address
        self.threads = max(1, threads)
        self.limits = limits
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.writeTimeout = writeTimeout
        self.lingerTimeout = lingerTimeout
        self.shutdownTimeout = shutdownTimeout
        self.maxOutboundBytes = maxOutboundBytes
        self.accessLog = accessLog
        self.tls = tls
    }

    /// The number of online cores.
    public static var coreCount: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
