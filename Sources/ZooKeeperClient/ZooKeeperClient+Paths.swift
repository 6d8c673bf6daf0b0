#if canImport(Glibc)
import Glibc
#endif

extension ZooKeeperClient {
    /// The server's path for a client path: the chroot prefixed.
    func serverPath(_ path: String) -> String {
        guard let chroot = configuration.connectString.chroot else { return path }
        return path == "/" ? chroot : chroot + path
    }

    /// The client's path for a server path: the chroot removed.
    func clientPath(_ path: String) -> String {
        ConnectString.strip(configuration.connectString.chroot, from: path)
    }

    func serverOp(_ op: MultiOp) -> MultiOp {
        switch op {
        case .create(var c): c.path = serverPath(c.path); return .create(c)
        case .create2(var c): c.path = serverPath(c.path); return .create2(c)
        case .createContainer(var c): c.path = serverPath(c.path); return .createContainer(c)
        case .createTTL(var c): c.path = serverPath(c.path); return .createTTL(c)
        case .delete(var d): d.path = serverPath(d.path); return .delete(d)
        case .setData(var s): s.path = serverPath(s.path); return .setData(s)
        case .check(var c): c.path = serverPath(c.path); return .check(c)
        }
    }

    func clientResult(_ result: MultiResult) -> MultiResult {
        switch result {
        case .create(let path): .create(path: clientPath(path))
        case .create2(let path, let stat): .create2(path: clientPath(path), stat: stat)
        default: result
        }
    }
}

extension ConnectString {
    /// A server path as a client under `chroot` sees it.
    /// Byte-wise, as every notification passes here (String's Character-wise prefix and count
    /// cost more than the rest of the notification's handling); only whole path components
    /// match, so `/app2` is not under the chroot `/app`.
    static func strip(_ chroot: String?, from path: String) -> String {
        guard var chroot else { return path }
        var full = path
        // How many leading bytes to drop: the chroot's, when a whole component matches.
        let cut: Int? = chroot.withUTF8 { root in
            full.withUTF8 { bytes in
                guard bytes.count >= root.count, memcmp(bytes.baseAddress!, root.baseAddress!, root.count) == 0,
                    bytes.count == root.count || bytes[root.count] == UInt8(ascii: "/")
                else { return nil }
                return root.count
            }
        }
        guard let cut else { return path }
        if cut == full.utf8.count { return "/" }
        return String(Substring(full.utf8.dropFirst(cut)))
    }
}
