/// ConnectRequest {int protocolVersion; long lastZxidSeen; int timeOut; long sessionId;
/// buffer passwd} + trailing bool readOnly. Sent with no RequestHeader; on re-attach send only
/// this and wait for the reply. The server closes without reply if lastZxidSeen is ahead of it.
public struct ConnectRequest: JuteRecord {
    public var protocolVersion: Int32
    public var lastZxidSeen: Int64
    /// Requested session timeout in ms.
    public var timeOut: Int32
    /// 0 for a new session.
    public var sessionId: Int64
    /// 16 zero bytes for a new session.
    public var passwd: [UInt8]
    public var readOnly: Bool

    public init(protocolVersion: Int32 = 0, lastZxidSeen: Int64 = 0, timeOut: Int32, sessionId: Int64 = 0,
                passwd: [UInt8] = [UInt8](repeating: 0, count: 16), readOnly: Bool = false) {
        self.protocolVersion = protocolVersion; self.lastZxidSeen = lastZxidSeen; self.timeOut = timeOut
        self.sessionId = sessionId; self.passwd = passwd; self.readOnly = readOnly
    }
    public func encode(to w: inout JuteWriter) {
        w.writeInt32(protocolVersion); w.writeInt64(lastZxidSeen); w.writeInt32(timeOut)
        w.writeInt64(sessionId); w.writeBuffer(passwd); w.writeBool(readOnly)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        protocolVersion = try r.readInt32(); lastZxidSeen = try r.readInt64(); timeOut = try r.readInt32()
        sessionId = try r.readInt64(); passwd = try r.readBuffer() ?? []
        readOnly = r.isAtEnd ? false : try r.readBool()
    }
}

/// ConnectResponse {int protocolVersion; int timeOut; long sessionId; buffer passwd} + bool
/// readOnly, which old servers omit (decoded as false). An expired session is reported as
/// timeOut 0 / sessionId 0 and the server then closes (`isExpired`).
public struct ConnectResponse: JuteRecord {
    public var protocolVersion: Int32
    /// Negotiated timeout (ms), clamped by the server to [2, 20] × tickTime.
    public var timeOut: Int32
    public var sessionId: Int64
    public var passwd: [UInt8]
    public var readOnly: Bool

    public init(protocolVersion: Int32 = 0, timeOut: Int32, sessionId: Int64, passwd: [UInt8], readOnly: Bool = false) {
        self.protocolVersion = protocolVersion; self.timeOut = timeOut; self.sessionId = sessionId
        self.passwd = passwd; self.readOnly = readOnly
    }
    public var isExpired: Bool { timeOut <= 0 }
    public func encode(to w: inout JuteWriter) {
        w.writeInt32(protocolVersion); w.writeInt32(timeOut); w.writeInt64(sessionId)
        w.writeBuffer(passwd); w.writeBool(readOnly)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        protocolVersion = try r.readInt32(); timeOut = try r.readInt32(); sessionId = try r.readInt64()
        passwd = try r.readBuffer() ?? []
        readOnly = r.isAtEnd ? false : try r.readBool()
    }
}
