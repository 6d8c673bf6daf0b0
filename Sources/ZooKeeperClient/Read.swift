/// {ustring path; bool watch}: the layout jute gives ExistsRequest, GetDataRequest and
/// GetChildren2Request alike.
public struct PathWatchRequest: JuteRecord {
    public var path: String
    public var watch: Bool
    public init(path: String, watch: Bool) { self.path = path; self.watch = watch }
    public func encode(to w: inout JuteWriter) { w.writeString(path); w.writeBool(watch) }
    public init(from r: inout JuteReader) throws(JuteError) { path = try r.readPath(); watch = try r.readBool() }
}

/// ExistsRequest → ExistsResponse {Stat}. A NONODE (-101) reply still registers the watch (it
/// fires on creation).
public typealias ExistsRequest = PathWatchRequest

public struct ExistsResponse: JuteRecord {
    public var stat: Stat
    public init(stat: Stat) { self.stat = stat }
    public func encode(to w: inout JuteWriter) { stat.encode(to: &w) }
    public init(from r: inout JuteReader) throws(JuteError) { stat = try r.read() }
}

/// GetDataRequest → GetDataResponse {buffer data; Stat}. NONODE -101.
public typealias GetDataRequest = PathWatchRequest

public struct GetDataResponse: JuteRecord {
    /// nil when the node was created with null data.
    public var data: [UInt8]?
    public var stat: Stat
    public init(data: [UInt8]?, stat: Stat) { self.data = data; self.stat = stat }
    public func encode(to w: inout JuteWriter) { w.writeBuffer(data); stat.encode(to: &w) }
    public init(from r: inout JuteReader) throws(JuteError) { data = try r.readBuffer(); stat = try r.read() }
}

/// GetChildren2Request → GetChildren2Response {vector<ustring>; Stat}. Replies over the 1 MiB
/// packet limit drop the connection: check getAllChildrenNumber first.
public typealias GetChildren2Request = PathWatchRequest

public struct GetChildren2Response: JuteRecord {
    public var children: [String]
    public var stat: Stat
    public init(children: [String], stat: Stat) { self.children = children; self.stat = stat }
    public func encode(to w: inout JuteWriter) { w.writeStringVector(children); stat.encode(to: &w) }
    public init(from r: inout JuteReader) throws(JuteError) {
        children = try r.readStringVector() ?? []; stat = try r.read()
    }
}
