/// What one successful ``Operation`` produced, in the shape of ZooKeeper's `OpResult`.
public enum OperationResult: Hashable, Sendable {
    /// The node created, at its final path (sequence number included), and its stat.
    case created(path: ZNodePath, stat: Stat)
    /// The node was deleted.
    case deleted
    /// The node's stat after the data change.
    case setData(stat: Stat)
    /// The version check passed.
    case checked
}
