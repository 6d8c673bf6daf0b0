/// CreateRequest {ustring path; buffer data; vector<ACL> acl; int flags}, for ops create (1),
/// create2 (15) and createContainer (19). Errors: NODEEXISTS -110, NONODE -101 (no parent),
/// NOCHILDRENFOREPHEMERALS -108, INVALIDACL -114.
public struct CreateRequest: JuteRecord {
    public var path: String
    public var data: [UInt8]?
    public var acl: [ACL]
    public var flags: Int32
    public init(path: String, data: [UInt8]?, acl: [ACL] = ACL.openACLUnsafe, flags: Int32) {
        self.path = path; self.data = data; self.acl = acl; self.flags = flags
    }
    public init(path: String, data: [UInt8]?, acl: [ACL] = ACL.openACLUnsafe, mode: CreateMode) {
        self.init(path: path, data: data, acl: acl, flags: mode.rawValue)
    }
    public func encode(to w: inout JuteWriter) {
        w.writeString(path); w.writeBuffer(data); w.writeACLs(acl); w.writeInt32(flags)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        path = try r.readPath(); data = try r.readBuffer(); acl = try r.readACLs(); flags = try r.readInt32()
    }
}

/// CreateTTLRequest: CreateRequest + long ttl (ms, 1...2^40-1), op createTTL (21). Errors:
/// UNIMPLEMENTED -6 unless the server runs with extendedTypesEnabled; BADARGUMENTS -8 for a bad ttl.
public struct CreateTTLRequest: JuteRecord {
    public var path: String
    public var data: [UInt8]?
    public var acl: [ACL]
    public var flags: Int32
    public var ttl: Int64
    public init(path: String, data: [UInt8]?, acl: [ACL] = ACL.openACLUnsafe, flags: Int32, ttl: Int64) {
        self.path = path; self.data = data; self.acl = acl; self.flags = flags; self.ttl = ttl
    }
    public func encode(to w: inout JuteWriter) {
        w.writeString(path); w.writeBuffer(data); w.writeACLs(acl); w.writeInt32(flags); w.writeInt64(ttl)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        path = try r.readPath(); data = try r.readBuffer(); acl = try r.readACLs(); flags = try r.readInt32()
        ttl = try r.readInt64()
    }
}

/// {ustring path}: the layout of CreateResponse, SyncRequest and SyncResponse.
public struct PathRecord: JuteRecord {
    public var path: String
    public init(path: String) { self.path = path }
    public func encode(to w: inout JuteWriter) { w.writeString(path) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath() }
}

/// CreateResponse {ustring path}: the reply to op create (1); path carries any sequence suffix.
public typealias CreateResponse = PathRecord

/// Create2Response {ustring path; Stat stat}: the reply to ops create2, createContainer, createTTL.
public struct Create2Response: JuteRecord {
    public var path: String
    public var stat: Stat
    public init(path: String, stat: Stat) { self.path = path; self.stat = stat }
    public func encode(to w: inout JuteWriter) { w.writeString(path); stat.encode(to: &w) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath(); stat = try r.read() }
}
