/// RequestHeader {int xid; int type}. Not sent on the connect handshake.
public struct RequestHeader: JuteRecord {
    public var xid: Int32
    public var type: OpCode
    public init(xid: Int32, type: OpCode) { self.xid = xid; self.type = type }
    /// The ping header: {-2, 11}, sent with no body.
    public static let ping = RequestHeader(xid: Xid.ping, type: .ping)
    public func encode(to w: inout JuteWriter) { w.writeInt32(xid); w.writeInt32(type.rawValue) }
    public init(from r: inout JuteReader) throws(JuteError) {
        xid = try r.readInt32(); type = OpCode(rawValue: try r.readInt32())
    }
}

/// ReplyHeader {int xid; long zxid; int err}. A body follows only when err == 0 (a failed multi
/// still has err 0: the failure is in the results). Only normal replies with zxid > 0 advance
/// the client's lastZxid; pings and notifications (xid -1, zxid -1) never do.
public struct ReplyHeader: JuteRecord {
    public var xid: Int32
    public var zxid: Int64
    public var err: ErrorCode
    public init(xid: Int32, zxid: Int64, err: ErrorCode) { self.xid = xid; self.zxid = zxid; self.err = err }
    public func encode(to w: inout JuteWriter) {
        w.writeInt32(xid); w.writeInt64(zxid); w.writeInt32(err.rawValue)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        xid = try r.readInt32(); zxid = try r.readInt64(); err = ErrorCode(rawValue: try r.readInt32())
    }
}
