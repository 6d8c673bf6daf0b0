/// Server error codes (zs/KeeperException.java Code). A struct so unknown codes still decode.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = ErrorCode(rawValue: 0)
    public static let systemError = ErrorCode(rawValue: -1)
    /// Also the result of every multi op after the failing one.
    public static let runtimeInconsistency = ErrorCode(rawValue: -2)
    public static let dataInconsistency = ErrorCode(rawValue: -3)
    public static let connectionLoss = ErrorCode(rawValue: -4)
    public static let marshallingError = ErrorCode(rawValue: -5)
    /// E.g. createTTL on a server without extendedTypesEnabled.
    public static let unimplemented = ErrorCode(rawValue: -6)
    public static let operationTimeout = ErrorCode(rawValue: -7)
    public static let badArguments = ErrorCode(rawValue: -8)
    public static let unknownSession = ErrorCode(rawValue: -12)
    public static let newConfigNoQuorum = ErrorCode(rawValue: -13)
    public static let reconfigInProgress = ErrorCode(rawValue: -14)
    public static let apiError = ErrorCode(rawValue: -100)
    public static let noNode = ErrorCode(rawValue: -101)
    public static let noAuth = ErrorCode(rawValue: -102)
    public static let badVersion = ErrorCode(rawValue: -103)
    public static let noChildrenForEphemerals = ErrorCode(rawValue: -108)
    public static let nodeExists = ErrorCode(rawValue: -110)
    public static let notEmpty = ErrorCode(rawValue: -111)
    public static let sessionExpired = ErrorCode(rawValue: -112)
    public static let invalidCallback = ErrorCode(rawValue: -113)
    public static let invalidACL = ErrorCode(rawValue: -114)
    /// The server closes the connection after sending it.
    public static let authFailed = ErrorCode(rawValue: -115)
    /// Two connections on one session.
    public static let sessionMoved = ErrorCode(rawValue: -118)
    public static let notReadOnly = ErrorCode(rawValue: -119)
    public static let ephemeralOnLocalSession = ErrorCode(rawValue: -120)
    /// removeWatches/checkWatches found no such watcher.
    public static let noWatcher = ErrorCode(rawValue: -121)
    public static let requestTimeout = ErrorCode(rawValue: -122)
    public static let reconfigDisabled = ErrorCode(rawValue: -123)
    public static let sessionClosedRequireSASLAuth = ErrorCode(rawValue: -124)
    public static let quotaExceeded = ErrorCode(rawValue: -125)
    public static let throttledOp = ErrorCode(rawValue: -127)

    /// ZooKeeper's name for the code (`NONODE (-101)`), as its logs and tools print it.
    public var description: String { "\(Self.names[rawValue] ?? "UNKNOWN") (\(rawValue))" }

    static let names: [Int32: String] = [
        0: "OK", -1: "SYSTEMERROR", -2: "RUNTIMEINCONSISTENCY", -3: "DATAINCONSISTENCY", -4: "CONNECTIONLOSS",
        -5: "MARSHALLINGERROR", -6: "UNIMPLEMENTED", -7: "OPERATIONTIMEOUT", -8: "BADARGUMENTS",
        -12: "UNKNOWNSESSION", -13: "NEWCONFIGNOQUORUM", -14: "RECONFIGINPROGRESS", -100: "APIERROR",
        -101: "NONODE", -102: "NOAUTH", -103: "BADVERSION", -108: "NOCHILDRENFOREPHEMERALS", -110: "NODEEXISTS",
        -111: "NOTEMPTY", -112: "SESSIONEXPIRED", -113: "INVALIDCALLBACK", -114: "INVALIDACL", -115: "AUTHFAILED",
        -118: "SESSIONMOVED", -119: "NOTREADONLY", -120: "EPHEMERALONLOCALSESSION", -121: "NOWATCHER",
        -122: "REQUESTTIMEOUT", -123: "RECONFIGDISABLED", -124: "SESSIONCLOSEDREQUIRESASLAUTH",
        -125: "QUOTAEXCEEDED", -127: "THROTTLEDOP",
    ]
}

/// ErrorResponse {int err}: the body of addWatch replies and of failed multi results.
public struct ErrorResponse: JuteRecord {
    public var err: ErrorCode
    public init(err: ErrorCode) { self.err = err }
    public func encode(to w: inout JuteWriter) { w.writeInt32(err.rawValue) }
    public init(from r: inout JuteReader) throws(JuteError) { err = ErrorCode(rawValue: try r.readInt32()) }
}
