import Coordination
import ZooKeeperClient

/// Translations between the backend protocol's types and the wire client's. Pure, so every
/// case is unit-tested without an ensemble.
enum ZooKeeperMapping {
    /// The stat as the backend protocol names it (the fields are ZooKeeper's own).
    static func stat(_ s: WireStat) -> Coordination.Stat {
        Coordination.Stat(
            czxid: s.czxid, mzxid: s.mzxid, ctime: s.ctime, mtime: s.mtime, version: s.version,
            cversion: s.cversion, aversion: s.aversion, ephemeralOwner: s.ephemeralOwner,
            dataLength: s.dataLength, numChildren: s.numChildren, pzxid: s.pzxid)
    }

    /// The multi op for one operation (already through `validateArguments`, so a TTL mode has
    /// its TTL). Creates use create2 or the container/TTL op codes, with `acl(path)` as
    /// their ACL.
    static func op(_ operation: Operation, acl: (String) -> [ACL]) -> MultiOp {
        switch operation {
        case .create(let path, let data, let mode, let ttlMs):
            let flags = mode.zookeeperFlag
            let list = acl(path.string)
            switch mode {
            case .ttl, .ttlSequential:
                return .createTTL(CreateTTLRequest(path: path.string, data: data, acl: list, flags: flags, ttl: ttlMs ?? 0))
            case .container:
                return .createContainer(CreateRequest(path: path.string, data: data, acl: list, flags: flags))
            default:
                return .create2(CreateRequest(path: path.string, data: data, acl: list, flags: flags))
            }
        case .delete(let path, let version):
            return .delete(DeleteRequest(path: path.string, version: version))
        case .setData(let path, let data, let version):
            return .setData(SetDataRequest(path: path.string, data: data, version: version))
        case .check(let path, let version):
            return .check(CheckVersionRequest(path: path.string, version: version))
        }
    }

    /// The backend protocol's error for a failed operation on `path`. `session` names the
    /// device session for `sessionExpired`.
    static func error(_ error: ZooKeeperError, path: ZNodePath, session: Int64? = nil) -> CoordinationError {
        switch error {
        case .server(let code): return self.error(code, path: path, session: session)
        case .connectionLoss: return .connectionLoss
        case .sessionExpired: return .unavailable("the gateway's ZooKeeper session expired; retry")
        case .closed: return .unavailable("the backend is shutting down")
        case .authFailed: return .unavailable("ZooKeeper refused the gateway's credentials")
        case .packetTooLarge(let size, let limit): return .dataTooLarge(size: size, limit: limit)
        case .protocolError(let why): return .unavailable("ZooKeeper protocol error: \(why)")
        }
    }

    static func error(_ code: ErrorCode, path: ZNodePath, session: Int64?) -> CoordinationError {
        switch code {
        case .noNode: .noNode(path)
        case .nodeExists: .nodeExists(path)
        case .badVersion: .badVersion(path)
        case .notEmpty: .notEmpty(path)
        case .noChildrenForEphemerals: .noChildrenForEphemerals(path)
        case .badArguments: .badArguments("ZooKeeper refused the arguments for \(path)")
        case .unimplemented: .unimplemented("this ZooKeeper ensemble does not serve it (TTL nodes need extendedTypesEnabled)")
        case .sessionExpired: .sessionExpired(session ?? 0)
        case .connectionLoss: .connectionLoss
        case .operationTimeout, .requestTimeout: .operationTimeout
        case .marshallingError: .badArguments("ZooKeeper could not read the request for \(path) (MARSHALLINGERROR)")
        case .throttledOp: .unavailable("ZooKeeper is throttling requests; retry")
        case .noAuth: .aclDenied(path)
        default: .unavailable("ZooKeeper answered \(code) for \(path)")
        }
    }

    /// A failed multi as the backend protocol reports it: the first result that is neither 0
    /// nor -2 names the failing operation. The first `offset` ops are the session's record
    /// checks, whose failure means the device session is gone.
    static func failure(_ results: [MultiResult], operations: [Operation], session: Int64?, offset: Int = 0) -> MultiFailure? {
        guard let (index, code) = MultiResponse(results: results).failure else { return nil }
        if index < offset { return MultiFailure(index: 0, error: .sessionExpired(session ?? 0)) }
        let path = index - offset < operations.count ? operations[index - offset].path : .root
        return MultiFailure(index: index - offset, error: error(code, path: path, session: session))
    }
}
