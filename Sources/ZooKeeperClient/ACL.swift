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
