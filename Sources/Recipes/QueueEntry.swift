import Coordination

/// One contender of a lock or election, as observers see it.
public struct QueueEntry: Hashable, Sendable {
    /// The contender node's name.
    public var node: String
    /// The fencing token: the node's czxid, which grows with every new contender.
    public var token: Int64
    /// The zkgate device session that owns it; nil for other clients (such as Curator).
    public var session: Int64?
    /// The node's data (for an election, the candidate's value).
    public var data: [UInt8]
    /// When the contender joined (ms since the epoch).
    public var createdAt: Int64

    public init(node: String, token: Int64, session: Int64?, data: [UInt8], createdAt: Int64) {
        self.node = node
        self.token = token
        self.session = session
        self.data = data
        self.createdAt = createdAt
    }
}
