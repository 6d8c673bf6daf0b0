import CZKShims
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

extension Socket {
    /// Starts a non-blocking TCP connection with TCP_NODELAY. When `inProgress` is true, wait
    /// for writability and read the outcome with `pendingError`.
    ///
    /// - Throws: `SystemError` (ECONNREFUSED at once on loopback, ENETUNREACH, EMFILE, …).
    public static func connect(to address: SocketAddress) throws(SystemError) -> (fd: Int32, inProgress: Bool) {
        let domain = address.family == .inet ? AF_INET : AF_INET6
        let fd = try syscallBlocking("socket") {
            Glibc.socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let started = try address.withSockAddr { (sa, len) throws(SystemError) -> Bool in
                do throws(SystemError) {
                    _ = try syscallBlocking("connect") { Glibc.connect(fd, sa, len) }
                    return false
                } catch {
                    if error.code == EINPROGRESS { return true }
                    throw error
                }
            }
            return (fd, started)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// The outcome of a connection started with `connect`: 0 once connected, else its errno.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 { return errno }
        return err
    }

    /// `host` as an address when it is one already (IPv4 or IPv6 text), with no lookup.
    public static func numericAddress(host: String, port: UInt16) -> SocketAddress? {
        try? SocketAddress(parsing: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    /// Resolves a host name (or numeric address) to the addresses to try, in the resolver's
    /// order. Blocks for as long as the name servers take: never call it on an event loop
    /// (`HostResolver` runs it on a thread of its own).
    ///
    /// - Throws: `SystemError` with the resolver's message in `call` when nothing resolves.
    public static func resolve(host: String, port: UInt16) throws(SystemError) -> [SocketAddress] {
        if let numeric = numericAddress(host: host, port: port) { return [numeric] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SystemError(code: ENOENT, call: "getaddrinfo(\(host)): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(first) }
        var result: [SocketAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if let sa = n.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(n.pointee.ai_addrlen)))
                }
                if let address = SocketAddress(storage: storage), !result.contains(address) { result.append(address) }
            }
            node = n.pointee.ai_next
        }
        return result
    }
}
