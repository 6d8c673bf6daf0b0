extension DataTree {
    /// The bookkeeping of one transaction in flight.
    struct Changes {
        let zxid: Int64
        let time: Int64
        var undo: [UndoStep] = []
        var events: [WatchEvent] = []
    }

    /// Applies a transaction under `zxid` at wall-clock `time` (milliseconds since the epoch).
    ///
    /// Operations run one by one against the live tree, so each sees the effects of those
    /// before it (a multi may create `/a` and then `/a/b`); if one fails, an undo log puts back
    /// everything the earlier ones did. A failed transaction changes nothing, ``lastZxid``
    /// included, so a store need not log it and may reuse its zxid.
    ///
    /// Each operation checks, in this order: its path (a sequential prefix is valid only for a
    /// sequential create), the data size (``CoordinationError/dataTooLarge(size:limit:)``), a
    /// create's TTL, the session (``CoordinationError/sessionExpired(_:)`` if one is named and not
    /// live), then the node checks in ZooKeeper's order: for create missing parent
    /// (``CoordinationError/noNode(_:)``), existing node (``CoordinationError/nodeExists(_:)``,
    /// also for `/`), ephemeral parent (``CoordinationError/noChildrenForEphemerals(_:)``); for
    /// delete the root (``CoordinationError/badArguments(_:)``), missing node, version
    /// (``CoordinationError/badVersion(_:)``), children (``CoordinationError/notEmpty(_:)``); for
    /// setData and check missing node, then version.
    ///
    /// - Precondition: `zxid > lastZxid`. zxids order every change and index every watch, so a
    ///   store that reuses or reorders them has a bug that must not reach the tree.
    ///
    /// With a `sizeLimit`, a transaction that would leave ``storedBytes`` both larger than
    /// before and above the limit changes nothing and fails at index -1 (the whole transaction)
    /// with ``CoordinationError/quotaExceeded(size:quota:)``; one that shrinks the tree or
    /// keeps its size always passes, so a store over its quota can still be cleaned up.
    public mutating func apply(
        _ transaction: Transaction, zxid: Int64, time: Int64, sizeLimit: Int? = nil
    ) -> TransactionOutcome {
        precondition(zxid > lastZxid, "zxid \(zxid) is not after the last applied zxid \(lastZxid)")
        var changes = Changes(zxid: zxid, time: time)
        let sizeBefore = storedBytes
        var result: Result<[OperationResult], MultiFailure>
        switch transaction {
        case .operations(let operations, let session):
            result = applyOperations(operations, session: session, &changes)
            if case .success = result, let sizeLimit, storedBytes > sizeBefore, storedBytes > sizeLimit {
                let size = storedBytes
                rollBack(changes.undo)
                changes.events = []
                result = .failure(MultiFailure(index: -1, error: .quotaExceeded(size: size, quota: sizeLimit)))
            }
        case .createSession(let id, let timeoutMs):
            if let sizeLimit, storedBytes + Self.sessionBytes > sizeLimit {
                result = .failure(
                    MultiFailure(index: -1, error: .quotaExceeded(size: storedBytes + Self.sessionBytes, quota: sizeLimit)))
                break
            }
            result = Result { () throws(CoordinationError) in
                try createSession(id: id, timeoutMs: timeoutMs)
                return []
            }.mapError { MultiFailure(index: 0, error: $0) }
        case .closeSession(let id):
            closeSession(id: id, &changes)
            result = .success([])
        }
        if case .success = result { lastZxid = zxid }
        return TransactionOutcome(zxid: zxid, result: result, events: changes.events)
    }

    private mutating func applyOperations(
        _ operations: [Operation], session: Int64?, _ changes: inout Changes
    ) -> Result<[OperationResult], MultiFailure> {
        var results: [OperationResult] = []
        results.reserveCapacity(operations.count)
        for (index, operation) in operations.enumerated() {
            do throws(CoordinationError) {
                results.append(try perform(operation, session: session, &changes))
            } catch {
                rollBack(changes.undo)
                changes.events = []
                return .failure(MultiFailure(index: index, error: error))
            }
        }
        return .success(results)
    }

    private mutating func perform(
        _ operation: Operation, session: Int64?, _ changes: inout Changes
    ) throws(CoordinationError) -> OperationResult {
        try operation.validateArguments()
        return switch operation {
        case .create(let path, let data, let mode, let ttlMs):
            try create(path: path, data: data, mode: mode, ttlMs: ttlMs, session: session, &changes)
        case .delete(let path, let version):
            try delete(path: path, version: version, session: session, &changes)
        case .setData(let path, let data, let version):
            try setData(path: path, data: data, version: version, session: session, &changes)
        case .check(let path, let version):
            try check(path: path, version: version, session: session)
        }
    }

    /// ZooKeeper checks the session on every write, so a named session must be live; an
    /// ephemeral create needs one.
    func requireSession(_ session: Int64?, ephemeral: Bool) throws(CoordinationError) {
        if let session {
            guard sessions[session] != nil else { throw .sessionExpired(session) }
        } else if ephemeral {
            throw .badArguments("an ephemeral node needs a session")
        }
    }

    /// ZooKeeper's `checkAndIncVersion`: -1 matches anything, and the next version skips -1
    /// (after wrapping from `Int32.max`) because -1 could never be asked for (ZOOKEEPER-4743).
    static func nextVersion(current: Int32, expected: Int32, path: ZNodePath) throws(CoordinationError) -> Int32 {
        if expected != Operation.anyVersion && expected != current { throw .badVersion(path) }
        let next = current &+ 1
        return next == -1 ? 0 : next
    }
}
