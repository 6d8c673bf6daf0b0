import ZooKeeperClient

/// What `<recordRoot>/replicas/<session>` holds for one gateway's ZooKeeper session: enough
/// for another replica to attach to that session (its password), and who holds it now. The
/// session owns the device ephemerals its gateway created, so a replica that dies leaves
/// them to whichever replica adopts its session before the ensemble expires it.
///
/// The password is a secret: the record is never served through the node API
/// (`ZooKeeperStore.read`), and never logged.
struct ReplicaRecord: Equatable, Sendable {
    var password: [UInt8]
    /// The session's negotiated timeout: an adopter must attach within it.
    var timeoutMs: Int32
    /// The ZooKeeper session of the gateway process that holds (heartbeats) this session:
    /// its maker, until another replica adopts it.
    var holder: Int64
    /// Set by a holder that is shutting down and leaves the session to be adopted at once.
    var handover: Bool

    static let version: Int32 = 1

    var encoded: [UInt8] {
        var w = JuteWriter()
        w.writeInt32(Self.version)
        w.writeBuffer(password)
        w.writeInt32(timeoutMs)
        w.writeInt64(holder)
        w.writeBool(handover)
        return w.bytes
    }

    /// nil for bytes that are not a record of this version.
    init?(decoding bytes: [UInt8]) {
        var r = JuteReader(bytes)
        guard (try? r.readInt32()) == Self.version,
            let password = try? r.readBuffer(), let timeoutMs = try? r.readInt32(),
            let holder = try? r.readInt64(), let handover = try? r.readBool()
        else { return nil }
        self.init(password: password, timeoutMs: timeoutMs, holder: holder, handover: handover)
    }

    init(password: [UInt8], timeoutMs: Int32, holder: Int64, handover: Bool = false) {
        self.password = password
        self.timeoutMs = timeoutMs
        self.holder = holder
        self.handover = handover
    }
}

/// The ephemeral index of a device session: one child of its record per ephemeral, named
/// after the ephemeral's path, so that any replica can close the session whole, whichever
/// gateway's ZooKeeper session made each node. A random suffix keeps a stale entry (its node
/// deleted through the node API) from blocking a new one; the czxid tells them apart.
enum EphemeralIndex {
    /// `/a/b` → `%2Fa%2Fb~<suffix>`: `%` and `/` escaped, `~` never appears unescaped in the
    /// escaped path (it is escaped too).
    static func name(for path: String, suffix: UInt64) -> String {
        var name = ""
        name.reserveCapacity(path.utf8.count + 24)
        for scalar in path.unicodeScalars {
            switch scalar {
            case "%": name += "%25"
            case "/": name += "%2F"
            case "~": name += "%7E"
            default: name.unicodeScalars.append(scalar)
            }
        }
        return name + "~" + String(suffix, radix: 16)
    }

    /// The ephemeral's path from an index entry's name; nil for a name that is not one.
    static func path(of name: String) -> String? {
        guard let tilde = name.lastIndex(of: "~") else { return nil }
        var path = ""
        var rest = name[..<tilde].unicodeScalars[...]
        while let scalar = rest.popFirst() {
            guard scalar == "%" else { path.unicodeScalars.append(scalar); continue }
            let code = String(String.UnicodeScalarView(rest.prefix(2)))
            rest = rest.dropFirst(2)
            switch code {
            case "25": path += "%"
            case "2F": path += "/"
            case "7E": path += "~"
            default: return nil
            }
        }
        return path.hasPrefix("/") ? path : nil
    }

    /// An entry's data: the ZooKeeper session that owns the ephemeral and, for an entry written
    /// after its node (a sequential create, whose name is known only then), the node's czxid;
    /// 0 when the entry was created in the node's own transaction (its czxid is the node's).
    static func data(owner: Int64, czxid: Int64 = 0) -> [UInt8] {
        var w = JuteWriter()
        w.writeInt64(owner)
        w.writeInt64(czxid)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) -> (owner: Int64, czxid: Int64)? {
        var r = JuteReader(bytes)
        guard let owner = try? r.readInt64(), let czxid = try? r.readInt64() else { return nil }
        return (owner, czxid)
    }
}
