/// Why a coordination operation failed: ZooKeeper's `KeeperException` cases that zkgate can meet.
///
/// Paths in the node cases are the paths as requested, because that is all a ZooKeeper client
/// learns (the server sends only a code): a create's ``noNode(_:)`` therefore names the node to
/// be created, whose parent is missing. ``code`` gives ZooKeeper's number, ``slug`` a stable name
/// for problem types, ``message`` a sentence for people.
public enum CoordinationError: Error, Hashable, Sendable {
    /// The node does not exist (for a create: its parent does not). `NONODE`, -101.
    case noNode(ZNodePath)
    /// A node already exists at the path being created. `NODEEXISTS`, -110.
    case nodeExists(ZNodePath)
    /// The expected version (not -1) differs from the node's. `BADVERSION`, -103.
    case badVersion(ZNodePath)
    /// The node to delete has children. `NOTEMPTY`, -111.
    case notEmpty(ZNodePath)
    /// The node's parent is ephemeral, and ephemerals cannot have children.
    /// `NOCHILDRENFOREPHEMERALS`, -108.
    case noChildrenForEphemerals(ZNodePath)
    /// The request is malformed: a bad TTL, a missing session, a protected path.
    /// `BADARGUMENTS`, -8.
    case badArguments(String)
    /// The path breaks ZooKeeper's path rules. ZooKeeper's server answers these with
    /// `BADARGUMENTS`, -8 (its `validatePath`), so that is the code.
    case invalidPath(String, reason: String)
    /// The session is unknown, closed or expired. `SESSIONEXPIRED`, -112.
    case sessionExpired(Int64)
    /// The backend does not support the operation, such as TTL nodes on an ensemble without
    /// `zookeeper.extendedTypesEnabled`. `UNIMPLEMENTED`, -6.
    case unimplemented(String)
    /// The data is over the limit. ZooKeeper itself drops the connection on a request over
    /// `jute.maxbuffer`; the nearest code it answers with is `MARSHALLINGERROR`, -5, which it
    /// uses for a request it cannot read.
    case dataTooLarge(size: Int, limit: Int)
    /// The connection to the backend was lost; an in-flight write may or may not have happened.
    /// `CONNECTIONLOSS`, -4.
    case connectionLoss
    /// The backend did not answer in time. `OPERATIONTIMEOUT`, -7.
    case operationTimeout
    /// The backend cannot serve at all (no quorum, not started). A ZooKeeper client only ever
    /// sees that as a lost connection, so the code is `CONNECTIONLOSS`, -4; the slug tells them
    /// apart.
    case unavailable(String)
    /// The write would grow the store past its size quota (`zkgate serve --quota-bytes`):
    /// `size` is what the store would hold after it, `quota` the limit, both in the store's
    /// measure (``DataTree/storedBytes``). Writes that do not grow the store still succeed.
    /// ZooKeeper's hard quota answers `QUOTAEXCEEDED`, -125.
    case quotaExceeded(size: Int, quota: Int)
    /// The disk holding the store's data is full: the write was not made. Reads, deletes and
    /// writes that shrink the store still succeed, and growing writes resume by themselves once
    /// space is free. A ZooKeeper server stops on a full disk, so there is no code of its own:
    /// `SYSTEMERROR`, -1.
    case storageFull
    /// The caller may not make this change: ZooKeeper's NOAUTH for an ACL, or the gateway's
    /// access policy for a node a request would create on its own (an ancestor of
    /// `?parents=true`).
    case notAuthorized(ZNodePath)
    /// The ensemble refused the gateway itself (ZooKeeper's NOAUTH): the node exists with an
    /// ACL that grants the gateway's identity too little, set by another client or before the
    /// gateway had its identity. Retrying does not help; an operator must change the ACL or
    /// give the gateway a granted identity.
    case aclDenied(ZNodePath)

    /// ZooKeeper's `KeeperException.Code` value.
    public var code: Int32 {
        switch self {
        case .noNode: -101
        case .nodeExists: -110
        case .badVersion: -103
        case .notEmpty: -111
        case .noChildrenForEphemerals: -108
        case .badArguments, .invalidPath: -8
        case .sessionExpired: -112
        case .unimplemented: -6
        case .dataTooLarge: -5
        case .connectionLoss, .unavailable: -4
        case .operationTimeout: -7
        case .quotaExceeded: -125
        case .storageFull: -1
        case .notAuthorized, .aclDenied: -102
        }
    }

    /// A stable kebab-case name, used as the last segment of problem type URIs.
    public var slug: String {
        switch self {
        case .noNode: "no-node"
        case .nodeExists: "node-exists"
        case .badVersion: "bad-version"
        case .notEmpty: "not-empty"
        case .noChildrenForEphemerals: "no-children-for-ephemerals"
        case .badArguments: "bad-arguments"
        case .invalidPath: "invalid-path"
        case .sessionExpired: "session-expired"
        case .unimplemented: "unimplemented"
        case .dataTooLarge: "data-too-large"
        case .connectionLoss: "connection-loss"
        case .operationTimeout: "operation-timeout"
        case .unavailable: "unavailable"
        case .quotaExceeded: "quota-exceeded"
        case .storageFull: "storage-full"
        case .notAuthorized: "forbidden"
        case .aclDenied: "zookeeper-acl-denied"
        }
    }

    /// One sentence describing this error.
    public var message: String {
        switch self {
        case .noNode(let path): "no node at \(path)"
        case .nodeExists(let path): "a node already exists at \(path)"
        case .badVersion(let path): "the version of \(path) does not match the expected version"
        case .notEmpty(let path): "\(path) has children"
        case .noChildrenForEphemerals(let path):
            "cannot create \(path): its parent is ephemeral, and ephemeral nodes cannot have children"
        case .badArguments(let detail): detail
        case .invalidPath(let path, let reason): "invalid path \"\(path)\": \(reason)"
        case .sessionExpired(let id): "session \(Self.hex(id)) is unknown or has expired"
        case .unimplemented(let detail): "not implemented: \(detail)"
        case .dataTooLarge(let size, let limit): "data is \(size) bytes, over the limit of \(limit)"
        case .connectionLoss: "lost the connection to the backend; an in-flight write may or may not have happened"
        case .operationTimeout: "the backend did not answer in time"
        case .unavailable(let detail): "the backend is unavailable: \(detail)"
        case .quotaExceeded(let size, let quota):
            "the write would grow the store to \(size) bytes, over its quota of \(quota) bytes; reads, deletes and "
                + "smaller data still work: delete nodes or shrink data to make room, or raise --quota-bytes"
        case .notAuthorized(let path): "not allowed to change \(path)"
        case .aclDenied(let path):
            "ZooKeeper's ACL on \(path) (or its parent) does not grant the gateway's identity this operation: "
                + "change the ACL, or give the gateway an identity it grants"
        case .storageFull:
            "the disk holding the store is full, so the write was not made; reads, deletes and smaller data still "
                + "work, and writes resume by themselves once disk space is freed"
        }
    }

    /// A session id as ZooKeeper prints it, `0x` and lowercase hex of the unsigned value.
    static func hex(_ id: Int64) -> String { "0x" + String(UInt64(bitPattern: id), radix: 16) }
}

extension CoordinationError: CustomStringConvertible {
    public var description: String { message }
}
