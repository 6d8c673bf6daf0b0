/// Stat: 68 bytes of node metadata.
public struct Stat: JuteRecord, Hashable {
    public static let encodedSize = 68
    public var czxid: Int64
    public var mzxid: Int64
    public var ctime: Int64
    public var mtime: Int64
    public var version: Int32
    public var cversion: Int32
    public var aversion: Int32
    /// Owning session id for ephemerals, else 0.
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32
    public var pzxid: Int64

    public init(czxid: Int64 = 0, mzxid: Int64 = 0, ctime: Int64 = 0, mtime: Int64 = 0, version: Int32 = 0,
                cversion: Int32 = 0, aversion: Int32 = 0, ephemeralOwner: Int64 = 0, dataLength: Int32 = 0,
                numChildren: Int32 = 0, pzxid: Int64 = 0) {
        self.czxid = czxid; self.mzxid = mzxid; self.ctime = ctime; self.mtime = mtime
        self.version = version; self.cversion = cversion; self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner; self.dataLength = dataLength
        self.numChildren = numChildren; self.pzxid = pzxid
    }
    public func encode(to w: inout JuteWriter) {
        w.writeInt64(czxid); w.writeInt64(mzxid); w.writeInt64(ctime); w.writeInt64(mtime)
        w.writeInt32(version); w.writeInt32(cversion); w.writeInt32(aversion)
        w.writeInt64(ephemeralOwner); w.writeInt32(dataLength); w.writeInt32(numChildren); w.writeInt64(pzxid)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        czxid = try r.readInt64(); mzxid = try r.readInt64(); ctime = try r.readInt64(); mtime = try r.readInt64()
        version = try r.readInt32(); cversion = try r.readInt32(); aversion = try r.readInt32()
        ephemeralOwner = try r.readInt64(); dataLength = try r.readInt32(); numChildren = try r.readInt32()
        pzxid = try r.readInt64()
    }
}
