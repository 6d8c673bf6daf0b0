/// Request types (zs/ZooDefs.java OpCode). A struct, not an enum, so unknown codes from a newer
/// server still decode.
public struct OpCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let notification = OpCode(rawValue: 0)
    public static let create = OpCode(rawValue: 1)
    public static let delete = OpCode(rawValue: 2)
    public static let exists = OpCode(rawValue: 3)
    public static let getData = OpCode(rawValue: 4)
    public static let setData = OpCode(rawValue: 5)
    public static let getACL = OpCode(rawValue: 6)
    public static let setACL = OpCode(rawValue: 7)
    public static let getChildren = OpCode(rawValue: 8)
    public static let sync = OpCode(rawValue: 9)
    public static let ping = OpCode(rawValue: 11)
    public static let getChildren2 = OpCode(rawValue: 12)
    /// Only valid inside a multi.
    public static let check = OpCode(rawValue: 13)
    public static let multi = OpCode(rawValue: 14)
    public static let create2 = OpCode(rawValue: 15)
    public static let reconfig = OpCode(rawValue: 16)
    public static let checkWatches = OpCode(rawValue: 17)
    public static let removeWatches = OpCode(rawValue: 18)
    public static let createContainer = OpCode(rawValue: 19)
    public static let deleteContainer = OpCode(rawValue: 20)
    /// Needs the server's -Dzookeeper.extendedTypesEnabled=true, else UNIMPLEMENTED.
    public static let createTTL = OpCode(rawValue: 21)
    public static let multiRead = OpCode(rawValue: 22)
    public static let auth = OpCode(rawValue: 100)
    public static let setWatches = OpCode(rawValue: 101)
    public static let sasl = OpCode(rawValue: 102)
    public static let getEphemerals = OpCode(rawValue: 103)
    public static let getAllChildrenNumber = OpCode(rawValue: 104)
    public static let setWatches2 = OpCode(rawValue: 105)
    public static let addWatch = OpCode(rawValue: 106)
    public static let whoAmI = OpCode(rawValue: 107)
    /// Uses a normal xid; the server replies and then closes.
    public static let closeSession = OpCode(rawValue: -11)
    public static let error = OpCode(rawValue: -1)

    public var description: String { "OpCode(\(rawValue))" }
}

/// Reserved xids. Normal xids start at 1 and wrap back to 1, never 0 or negative.
public enum Xid {
    /// Watch notifications: ReplyHeader {-1, -1, 0} followed by a WatcherEvent.
    public static let notification: Int32 = -1
    /// Ping: RequestHeader {-2, 11}, no body.
    public static let ping: Int32 = -2
    /// Auth: its reply may overtake queued replies, so never match it against the FIFO.
    public static let auth: Int32 = -4
    /// SetWatches / SetWatches2 after a reconnect.
    public static let setWatches: Int32 = -8

    /// The xid after `xid`, wrapping from Int32.max back to 1.
    public static func next(after xid: Int32) -> Int32 {
        xid <= 0 || xid == Int32.max ? 1 : xid + 1
    }
}
