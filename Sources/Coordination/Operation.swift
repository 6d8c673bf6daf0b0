/// One write inside a transaction, as in a ZooKeeper multi. A version of -1 (``anyVersion``)
/// matches any version.
public enum Operation: Hashable, Sendable {
    /// Creates a node. For a sequential mode `path` is the prefix the sequence number completes
    /// (validated with `sequential: true`), and the final path comes back in
    /// ``OperationResult/created(path:stat:)``. `ttlMs` is required for TTL modes
    /// (1 ... ``EphemeralType/maxTTL``) and must be `nil` otherwise
    /// (``CoordinationError/badArguments(_:)``; ZooKeeper tolerates a negative TTL there, zkgate
    /// has `nil` for "none").
    case create(path: ZNodePath, data: [UInt8], mode: CreateMode, ttlMs: Int64? = nil)
    /// Deletes a node without children.
    case delete(path: ZNodePath, version: Int32)
    /// Replaces a node's data.
    case setData(path: ZNodePath, data: [UInt8], version: Int32)
    /// Asserts a node's version without changing anything.
    case check(path: ZNodePath, version: Int32)

    /// The version that matches any version.
    public static let anyVersion: Int32 = -1

    /// The path the operation names (for a sequential create, its prefix).
    public var path: ZNodePath {
        switch self {
        case .create(let path, _, _, _), .delete(let path, _), .setData(let path, _, _), .check(let path, _):
            path
        }
    }
}
