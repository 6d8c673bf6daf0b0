import CZKShims
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// Socket set-up calls, each through the one syscall wrapper.
public enum Socket {
    /// A non-blocking listening socket with SO_REUSEADDR and SO_REUSEPORT, so that every loop
    /// can bind its own listener to the same port and the kernel spreads connections.
    ///
    /// - Returns: the descriptor and the bound address (the real port when `address.port` is 0).
    /// - Throws: `SystemError` (EADDRINUSE, EACCES, …).
    public static func listen(on address: SocketAddress, backlog: Int32 = 4096) throws(SystemError)
        -> (fd: Int32, address: SocketAddress)
    {
        try listen(on: address, backlog: backlog, reusePort: true)
    }

    /// Fails with EADDRINUSE when any socket listens on the address, even one with
    /// SO_REUSEPORT: a second server of the same user would otherwise silently share the port.
    ///
    /// - Throws: `SystemError` (EADDRINUSE, EACCES, …).
    public static func ensureAvailable(_ address: SocketAddress) throws(SystemError) {
        guard address.port != 0 else { return }
        let probe = try listen(on: address, backlog: 1, reusePort: false)
        Glibc.close(probe.fd)
    }

    static func listen(on address: SocketAddress, backlog: Int32, reusePort: Bool) throws(SystemError)
        -> (fd: Int32, address: SocketAddress)
    {
        let domain = address.family == .inet ? AF_INET : AF_INET6
        let fd = try syscallBlocking("socket") {
            Glibc.socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if reusePort { try setOption(fd, SOL_SOCKET, ZK_SO_REUSEPORT, 1) }
            if address.family == .inet6 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            _ = try address.withSockAddr { (sa, len) throws(SystemError) in
                try syscallBlocking("bind") { Glibc.bind(fd, sa, len) }
            }
            try syscallBlocking("listen") { Glibc.listen(fd, backlog) }
            return (fd, try localAddress(fd) ?? address)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Sets an integer socket option.
    ///
    /// - Throws: `SystemError` from setsockopt.
    public static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var v = value
        try syscallBlocking("setsockopt") {
            setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The address a socket is bound to.
    ///
    /// - Throws: `SystemError` from getsockname.
    public static func localAddress(_ fd: Int32) throws(SystemError) -> SocketAddress? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &storage) { (p) throws(SystemError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SystemError) in
                _ = try syscallBlocking("getsockname") { getsockname(fd, sa, &len) }
            }
        }
        return SocketAddress(storage: storage)
    }

    /// Accepts one connection, non-blocking and close-on-exec.
    ///
    /// - Returns: `.wouldBlock` when the backlog is empty.
    /// - Throws: `SystemError`; ECONNABORTED, EMFILE and ENFILE are for the caller to survive.
    public static func accept(_ fd: Int32, peer: inout sockaddr_storage) throws(SystemError) -> IOResult<Int32> {
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return try syscall("accept4") { zk_accept4(fd, &peer, &len) }
    }
}
