/// One ensemble member's client address, as written in a connect string.
public struct HostAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public init(host: String, port: UInt16) { self.host = host; self.port = port }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A parsed connect string: `host:port[,host:port...][/chroot]`.
public struct ConnectString: Equatable, Sendable {
    public var hosts: [HostAddress]
    /// The chroot, without a trailing slash; nil when the client sees the whole tree.
    public var chroot: String?

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case badHost(String)
        case badChroot(String)
        public var description: String {
            switch self {
            case .empty: "the connect string names no server"
            case .badHost(let h): "'\(h)' is not host:port (port 1–65535)"
            case .badChroot(let c): "'\(c)' is not a valid chroot (absolute, no empty segments, no trailing slash)"
            }
        }
    }

    /// - Throws: `ParseError` naming the bad part. A host without a port gets 2181.
    public init(parsing text: String) throws(ParseError) {
        var hostPart = Substring(text)
        chroot = nil
        if let slash = text.firstIndex(of: "/") {
            hostPart = text[..<slash]
            let root = String(text[slash...])
            if root != "/" {
                let segments = root.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
                guard !root.hasSuffix("/"), !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                    throw .badChroot(root)
                }
                chroot = root
            }
        }
        hosts = []
        for item in hostPart.split(separator: ",") {
            let entry = item.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { continue }
            var host = Substring(entry)
            var port: UInt16 = 2181
            if entry.hasPrefix("[") {
                guard let close = entry.firstIndex(of: "]") else { throw .badHost(entry) }
                host = entry[entry.index(after: entry.startIndex)..<close]
                let rest = entry[entry.index(after: close)...]
                if !rest.isEmpty {
                    guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()), p > 0 else { throw .badHost(entry) }
                    port = p
                }
            } else if let colon = entry.lastIndex(of: ":") {
                host = entry[..<colon]
                guard let p = UInt16(entry[entry.index(after: colon)...]), p > 0 else { throw .badHost(entry) }
                port = p
            }
            guard !host.isEmpty else { throw .badHost(entry) }
            hosts.append(HostAddress(host: String(host), port: port))
        }
        guard !hosts.isEmpty else { throw .empty }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop(while: set.contains).reversed().drop(while: set.contains).reversed())
    }
}

extension Set where Element == Character {
    static let whitespaces: Set<Character> = [" ", "\t"]
}
