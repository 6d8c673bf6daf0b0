/// AuthPacket {int type = 0; ustring scheme; buffer auth}, op auth (100), xid -4. Re-send on every
/// reconnect. Its reply can overtake queued replies; AUTHFAILED (-115) closes the connection.
public struct AuthPacket: JuteRecord {
    public var type: Int32
    public var scheme: String
    public var auth: [UInt8]
    public init(type: Int32 = 0, scheme: String, auth: [UInt8]) { self.type = type; self.scheme = scheme; self.auth = auth }
    public func encode(to w: inout JuteWriter) { w.writeInt32(type); w.writeString(scheme); w.writeBuffer(auth) }
    public init(from r: inout JuteReader) throws(JuteError) {
        type = try r.readInt32(); scheme = try r.readPath(); auth = try r.readBuffer() ?? []
    }
}
