/// How a node is created: ZooKeeper's `CreateMode`, named as in the HTTP API.
public enum CreateMode: String, CaseIterable, Hashable, Sendable {
    /// Stays until deleted.
    case persistent
    /// Deleted when its session closes or expires; may not have children.
    case ephemeral
    /// Persistent, with the parent's counter appended to the name.
    case persistentSequential = "persistent_sequential"
    /// Ephemeral, with the parent's counter appended to the name.
    case ephemeralSequential = "ephemeral_sequential"
    /// Deleted by the server once it has had children and has none left.
    case container
    /// Deleted by the server once it has had no children and no data change for its TTL.
    case ttl
    /// A TTL node with the parent's counter appended to the name.
    case ttlSequential = "ttl_sequential"

    /// ZooKeeper's wire flag (`CreateMode.toFlag`).
    public var zookeeperFlag: Int32 {
        switch self {
        case .persistent: 0
        case .ephemeral: 1
        case .persistentSequential: 2
        case .ephemeralSequential: 3
        case .container: 4
        case .ttl: 5
        case .ttlSequential: 6
        }
    }

    /// The mode for a ZooKeeper wire flag, or `nil` for an unknown flag.
    public init?(zookeeperFlag: Int32) {
        guard let mode = Self.allCases.first(where: { $0.zookeeperFlag == zookeeperFlag }) else { return nil }
        self = mode
    }

    /// `true` for modes whose nodes belong to a session.
    public var isEphemeral: Bool { self == .ephemeral || self == .ephemeralSequential }

    /// `true` for modes that append a sequence number to the name.
    public var isSequential: Bool {
        self == .persistentSequential || self == .ephemeralSequential || self == .ttlSequential
    }

    /// `true` for modes that need a TTL.
    public var isTTL: Bool { self == .ttl || self == .ttlSequential }

    /// `true` for ``container``.
    public var isContainer: Bool { self == .container }
}
