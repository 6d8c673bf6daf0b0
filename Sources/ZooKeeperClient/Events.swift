/// WatcherEvent type (Watcher.Event.EventType).
public struct EventType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let none = EventType(rawValue: -1)
    public static let nodeCreated = EventType(rawValue: 1)
    public static let nodeDeleted = EventType(rawValue: 2)
    public static let nodeDataChanged = EventType(rawValue: 3)
    public static let nodeChildrenChanged = EventType(rawValue: 4)
    public static let dataWatchRemoved = EventType(rawValue: 5)
    public static let childWatchRemoved = EventType(rawValue: 6)
    public static let persistentWatchRemoved = EventType(rawValue: 7)
}

/// WatcherEvent state (Watcher.Event.KeeperState).
public struct KeeperState: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let disconnected = KeeperState(rawValue: 0)
    public static let syncConnected = KeeperState(rawValue: 3)
    public static let authFailed = KeeperState(rawValue: 4)
    public static let connectedReadOnly = KeeperState(rawValue: 5)
    public static let saslAuthenticated = KeeperState(rawValue: 6)
    public static let expired = KeeperState(rawValue: -112)
    public static let closed = KeeperState(rawValue: 7)
}

/// WatcherEvent {int type; int state; ustring path}, after a ReplyHeader with xid -1.
/// The event arrives before the new data is readable: process frames strictly in order.
public struct WatcherEvent: JuteRecord {
    public var type: EventType
    public var state: KeeperState
    public var path: String
    public init(type: EventType, state: KeeperState, path: String) {
        self.type = type; self.state = state; self.path = path
    }
    public func encode(to w: inout JuteWriter) {
        w.writeInt32(type.rawValue); w.writeInt32(state.rawValue); w.writeString(path)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        type = EventType(rawValue: try r.readInt32())
        state = KeeperState(rawValue: try r.readInt32())
        path = try r.readPath()
    }
}
