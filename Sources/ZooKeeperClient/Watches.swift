/// AddWatchMode for addWatch (106).
public enum AddWatchMode: Int32, Sendable {
    case persistent = 0
    case persistentRecursive = 1
}

/// AddWatchRequest {ustring path; int mode} → ErrorResponse {0}. Persistent watches are re-added
/// after reconnect with no catch-up: re-read what they cover.
public struct AddWatchRequest: JuteRecord {
    public var path: String
    public var mode: Int32
    public init(path: String, mode: AddWatchMode) { self.path = path; self.mode = mode.rawValue }
    public func encode(to w: inout JuteWriter) { w.writeString(path); w.writeInt32(mode) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath(); mode = try r.readInt32() }
}

/// WatcherType for removeWatches (18) / checkWatches (17).
public enum WatcherType: Int32, Sendable {
    case children = 1
    case data = 2
    case any = 3
}

/// RemoveWatchesRequest / CheckWatchesRequest {ustring path; int type}; no response body.
/// Error: NOWATCHER -121 when there is no such watch.
public struct RemoveWatchesRequest: JuteRecord {
    public var path: String
    public var type: Int32
    public init(path: String, type: WatcherType) { self.path = path; self.type = type.rawValue }
    public func encode(to w: inout JuteWriter) { w.writeString(path); w.writeInt32(type) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath(); type = try r.readInt32() }
}

/// Same layout as `RemoveWatchesRequest`, sent with op checkWatches (17).
public typealias CheckWatchesRequest = RemoveWatchesRequest

/// SetWatches {long relativeZxid; vector<ustring> data, exist, child}, op 101, xid -8. Sent after
/// reconnect, before any user request; the server replays events newer than relativeZxid.
/// Java batches at <= 128 KB of path characters per packet.
public struct SetWatches: JuteRecord {
    public var relativeZxid: Int64
    public var dataWatches: [String]
    public var existWatches: [String]
    public var childWatches: [String]
    public init(relativeZxid: Int64, dataWatches: [String] = [], existWatches: [String] = [], childWatches: [String] = []) {
        self.relativeZxid = relativeZxid; self.dataWatches = dataWatches
        self.existWatches = existWatches; self.childWatches = childWatches
    }
    public func encode(to w: inout JuteWriter) {
        w.writeInt64(relativeZxid); w.writeStringVector(dataWatches)
        w.writeStringVector(existWatches); w.writeStringVector(childWatches)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        relativeZxid = try r.readInt64(); dataWatches = try r.readStringVector() ?? []
        existWatches = try r.readStringVector() ?? []; childWatches = try r.readStringVector() ?? []
    }
}

/// SetWatches2: SetWatches + vector<ustring> persistentWatches, persistentRecursiveWatches;
/// op 105, xid -8. Persistent watches get no replay of missed events.
public struct SetWatches2: JuteRecord {
    public var relativeZxid: Int64
    public var dataWatches: [String]
    public var existWatches: [String]
    public var childWatches: [String]
    public var persistentWatches: [String]
    public var persistentRecursiveWatches: [String]
    public init(relativeZxid: Int64, dataWatches: [String] = [], existWatches: [String] = [],
                childWatches: [String] = [], persistentWatches: [String] = [],
                persistentRecursiveWatches: [String] = []) {
        self.relativeZxid = relativeZxid; self.dataWatches = dataWatches; self.existWatches = existWatches
        self.childWatches = childWatches; self.persistentWatches = persistentWatches
        self.persistentRecursiveWatches = persistentRecursiveWatches
    }
    public func encode(to w: inout JuteWriter) {
        w.writeInt64(relativeZxid); w.writeStringVector(dataWatches); w.writeStringVector(existWatches)
        w.writeStringVector(childWatches); w.writeStringVector(persistentWatches)
        w.writeStringVector(persistentRecursiveWatches)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        relativeZxid = try r.readInt64(); dataWatches = try r.readStringVector() ?? []
        existWatches = try r.readStringVector() ?? []; childWatches = try r.readStringVector() ?? []
        persistentWatches = try r.readStringVector() ?? []
        persistentRecursiveWatches = try r.readStringVector() ?? []
    }
}
