/// SetDataRequest {ustring path; buffer data; int version} (-1 = any) → SetDataResponse {Stat}.
/// Errors: NONODE -101, BADVERSION -103.
public struct SetDataRequest: JuteRecord {
    public var path: String
    public var data: [UInt8]?
    public var version: Int32
    public init(path: String, data: [UInt8]?, version: Int32 = -1) {
        self.path = path; self.data = data; self.version = version
    }
    public func encode(to w: inout JuteWriter) { w.writeString(path); w.writeBuffer(data); w.writeInt32(version) }
    public init(from r: inout JuteReader) throws(JuteError) {
        path = try r.readPath(); data = try r.readBuffer(); version = try r.readInt32()
    }
}

public struct SetDataResponse: JuteRecord {
    public var stat: Stat
    public init(stat: Stat) { self.stat = stat }
    public func encode(to w: inout JuteWriter) { stat.encode(to: &w) }
    public init(from r: inout JuteReader) throws(JuteError) { stat = try r.read() }
}
