/// DeleteRequest {ustring path; int version} (-1 = any version); no response body.
/// Errors: NONODE -101, BADVERSION -103, NOTEMPTY -111.
public struct DeleteRequest: JuteRecord {
    public var path: String
    public var version: Int32
    public init(path: String, version: Int32 = -1) { self.path = path; self.version = version }
    public func encode(to w: inout JuteWriter) { w.writeString(path); w.writeInt32(version) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath(); version = try r.readInt32() }
}
