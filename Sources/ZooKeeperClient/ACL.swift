/// Id {ustring scheme; ustring id}.
public struct Id: JuteRecord, Hashable {
    public var scheme: String
    public var id: String
    public init(scheme: String, id: String) { self.scheme = scheme; self.id = id }
    public static let anyoneUnsafe = Id(scheme: "world", id: "anyone")
    public func encode(to w: inout JuteWriter) { w.writeString(scheme); w.writeString(id) }
    public init(from r: inout JuteReader) throws(JuteError) {
        scheme = try r.readPath(); id = try r.readPath()
    }
}

/// ACL {int perms; Id id}. An empty or invalid list is refused by the server (INVALIDACL -114).
public struct ACL: JuteRecord, Hashable {
    public struct Perms: OptionSet, Hashable, Sendable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let read = Perms(rawValue: 1)
        public static let write = Perms(rawValue: 2)
        public static let create = Perms(rawValue: 4)
        public static let delete = Perms(rawValue: 8)
        public static let admin = Perms(rawValue: 16)
        public static let all: Perms = [.read, .write, .create, .delete, .admin]
    }
    public var perms: Perms
    public var id: Id
    public init(perms: Perms, id: Id) { self.perms = perms; self.id = id }
    /// [ALL, world:anyone].
    public static let openACLUnsafe = [ACL(perms: .all, id: .anyoneUnsafe)]
    public func encode(to w: inout JuteWriter) { w.writeInt32(perms.rawValue); id.encode(to: &w) }
    public init(from r: inout JuteReader) throws(JuteError) {
        perms = Perms(rawValue: try r.readInt32()); id = try r.read()
    }
}

extension JuteWriter {
    mutating func writeACLs(_ acls: [ACL]) { writeVector(acls) { w, a in a.encode(to: &w) } }
}
extension JuteReader {
    mutating func readACLs() throws(JuteError) -> [ACL] {
        try readVector { (r: inout JuteReader) throws(JuteError) in try ACL(from: &r) } ?? []
    }
}

extension ACL {
    /// Why an ACL entry's text is refused.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The schemes a ZooKeeper 3.8 server knows without plug-ins of its own.
    public static let knownSchemes: Set<String> = ["world", "auth", "digest", "ip", "x509", "sasl"]

    /// An entry written `scheme:id:perms`, as zkCli's setAcl takes it: `world:anyone:r`,
    /// `auth::cdrwa` (the creating session's own identities), `x509:CN=zkgate,O=zkgate:cdrwa`,
    /// `digest:user:base64hash:rw`, `ip:10.0.0.0/8:r`. The scheme is up to the first colon
    /// and the permissions after the last, so an id may hold colons and commas.
    ///
    /// - Throws: `ParseError` naming what is wrong: an unknown scheme, an id the scheme does
    ///   not take (`world` takes only `anyone`, `auth` none), no permissions, a letter other
    ///   than c, d, r, w, a, or one given twice.
    public init(parsing text: String) throws(ParseError) {
        guard let first = text.firstIndex(of: ":"), let last = text.lastIndex(of: ":"), first < last else {
            throw ParseError(description: "ACL entry '\(text)' is not scheme:id:permissions")
        }
        let scheme = String(text[..<first])
        let id = String(text[text.index(after: first)..<last])
        let letters = text[text.index(after: last)...]
        guard Self.knownSchemes.contains(scheme) else {
            throw ParseError(description: "ACL entry '\(text)': unknown scheme '\(scheme)' (\(Self.knownSchemes.sorted().joined(separator: ", ")))")
        }
        switch scheme {
        case "world" where id != "anyone":
            throw ParseError(description: "ACL entry '\(text)': the world scheme has only the id 'anyone'")
        case "auth" where !id.isEmpty:
            throw ParseError(description: "ACL entry '\(text)': the auth scheme takes no id (auth::perms means the creator's identities)")
        case "world", "auth":
            break
        default:
            guard !id.isEmpty else { throw ParseError(description: "ACL entry '\(text)': the \(scheme) scheme needs an id") }
        }
        var perms: Perms = []
        for letter in letters {
            let perm: Perms
            switch letter {
            case "c": perm = .create
            case "d": perm = .delete
            case "r": perm = .read
            case "w": perm = .write
            case "a": perm = .admin
            default: throw ParseError(description: "ACL entry '\(text)': '\(letter)' is not a permission (c, d, r, w, a)")
            }
            guard !perms.contains(perm) else { throw ParseError(description: "ACL entry '\(text)': '\(letter)' is given twice") }
            perms.insert(perm)
        }
        guard !perms.isEmpty else { throw ParseError(description: "ACL entry '\(text)' grants nothing: add permissions (c, d, r, w, a)") }
        self.init(perms: perms, id: Id(scheme: scheme, id: id))
    }

    /// The entry as `init(parsing:)` reads it, permissions in zkCli's order (cdrwa).
    public var text: String {
        let letters: [(Perms, Character)] = [(.create, "c"), (.delete, "d"), (.read, "r"), (.write, "w"), (.admin, "a")]
        return "\(id.scheme):\(id.id):" + String(letters.filter { perms.contains($0.0) }.map(\.1))
    }
}
