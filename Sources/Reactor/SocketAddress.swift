#if canImport(Glibc)
import Glibc
import SystemCalls
#endif

/// An IPv4 or IPv6 address with a port, parsed from `host:port`, `[v6]:port` or `:port`.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case inet, inet6 }
    public let family: Family
    /// The numeric host, as written by `inet_ntop`.
    public let host: String
    public var port: UInt16

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case missingPort(String)
        case badPort(String)
        case badHost(String)
        public var description: String {
            switch self {
            case .missingPort(let s): "'\(s)' has no port; write host:port, e.g. 127.0.0.1:8080"
            case .badPort(let s): "'\(s)' is not a port number from 0 to 65535"
            case .badHost(let s): "'\(s)' is not a numeric IPv4 or IPv6 address"
            }
        }
    }

    /// - Throws: `ParseError` naming what is wrong with the text.
    public init(parsing text: String) throws(ParseError) {
        var hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .badHost(text) }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .missingPort(text) }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .missingPort(text) }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portPart) else { throw .badPort(String(portPart)) }
        if hostPart.isEmpty { hostPart = "0.0.0.0" }
        if hostPart == "localhost" { hostPart = "127.0.0.1" }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, String(hostPart), &v4) == 1 {
            family = .inet
        } else if inet_pton(AF_INET6, String(hostPart), &v6) == 1 {
            family = .inet6
        } else {
            throw .badHost(String(hostPart))
        }
        host = String(hostPart)
        self.port = port
    }

    init(family: Family, host: String, port: UInt16) {
        self.family = family
        self.host = host
        self.port = port
    }

    public var description: String {
        family == .inet6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Calls `body` with this address as a `sockaddr`.
    func withSockAddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        switch family {
        case .inet:
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &sa.sin_addr)
            return try withUnsafePointer(to: &sa) { (p) throws(E) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(E) in
                    try body(q, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .inet6:
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &sa.sin6_addr)
            return try withUnsafePointer(to: &sa) { (p) throws(E) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(E) in
                    try body(q, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// Decodes a kernel-filled `sockaddr_storage`; nil for families other than IPv4/IPv6.
    public init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sa = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            var addr = sa.sin_addr
            var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
            self.init(family: .inet, host: String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: sa.sin_port))
        case AF_INET6:
            let sa = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            var addr = sa.sin6_addr
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
            self.init(family: .inet6, host: String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: sa.sin6_port))
        default:
            return nil
        }
    }
}
