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
        guard let chroot else { return path }
        let root = chroot.utf8
        let full = path.utf8
        guard full.starts(with: root) else { return path }
        let rest = full.dropFirst(root.count)
        if rest.isEmpty { return "/" }
        guard rest.first == UInt8(ascii: "/") else { return path }
        return String(Substring(rest))
    }
}
