/// A change that fires watches, as ZooKeeper's `DataTree` triggers them.
///
/// A create fires ``Kind/created`` on the node, then ``Kind/childrenChanged`` on its parent; a
/// delete fires ``Kind/deleted`` on the node (for data and child watchers alike), then
/// ``Kind/childrenChanged`` on its parent; a data change fires ``Kind/dataChanged``.
public struct WatchEvent: Hashable, Sendable {
    /// The kind of change, named as ZooKeeper's `EventType` without the `Node` prefix.
    public enum Kind: String, CaseIterable, Hashable, Sendable {
        case created
        case deleted
        case dataChanged
        case childrenChanged

        /// ZooKeeper's `Watcher.Event.EventType` value.
        public var zookeeperType: Int32 {
            switch self {
            case .created: 1
            case .deleted: 2
            case .dataChanged: 3
            case .childrenChanged: 4
            }
        }
    }

    /// What changed.
    public var kind: Kind
    /// The node the event is about: the node itself, or the parent for ``Kind/childrenChanged``.
    public var path: ZNodePath
    /// The zxid of the transaction that caused the event.
    public var zxid: Int64

    public init(kind: Kind, path: ZNodePath, zxid: Int64) {
        self.kind = kind
        self.path = path
        self.zxid = zxid
    }
}
