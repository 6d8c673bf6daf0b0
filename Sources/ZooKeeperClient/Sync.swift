/// SyncRequest {ustring path} → SyncResponse {ustring path}. Send before a read that must see
/// every write committed before it.
public struct SyncRequest: JuteRecord {
    public var path: String
    public init(path: String) { self.path = path }
    public func encode(to w: inout JuteWriter) { w.writeString(path) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath() }
}

public struct SyncResponse: JuteRecord {
    public var path: String
    public init(path: String) { self.path = path }
    public func encode(to w: inout JuteWriter) { w.writeString(path) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath() }
}

/// CheckVersionRequest {ustring path; int version}: only valid inside a multi (op 13).
/// Errors: NONODE -101, BADVERSION -103.
public struct CheckVersionRequest: JuteRecord {
    public var path: String
    public var version: Int32
    public init(path: String, version: Int32) { self.path = path; self.version = version }
    public func encode(to w: inout JuteWriter) { w.writeString(path); w.writeInt32(version) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath(); version = try r.readInt32() }
}
