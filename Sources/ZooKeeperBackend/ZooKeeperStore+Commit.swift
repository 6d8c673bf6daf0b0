import Coordination
import ZooKeeperClient

extension ZooKeeperStore {
    /// Runs the operations as one ZooKeeper multi (a single create or setData as itself, so
    /// its stat comes back), and returns once the change feed has delivered its changes.
    /// Written as a device session, the multi begins with a check of the session's record, so
    /// it fails as `sessionExpired` once the session is gone.
    public func commit(_ operations: [Operation], session: Int64?) async throws(MultiFailure)
        -> (results: [OperationResult], zxid: Int64)
    {
        for (i, operation) in operations.enumerated() {
            do throws(CoordinationError) { try operation.validateArguments() } catch { throw MultiFailure(index: i, error: error) }
        }
        do throws(CoordinationError) { try requireHeartbeat() } catch { throw MultiFailure(index: -1, error: error) }
        if let session {
            do throws(CoordinationError) { try await requireLive(session) } catch { throw MultiFailure(index: 0, error: error) }
        } else if let i = operations.firstIndex(where: { if case .create(_, _, let mode, _) = $0 { mode.isEphemeral } else { false } }) {
            throw MultiFailure(index: i, error: .badArguments("an ephemeral node needs a session"))
        }
        // A write of ours until it is answered: its reply labels the feed's notifications, so no
        // sync is sent meanwhile.
        writesInFlight.add(1, ordering: .relaxed)
        defer { writeEnded() }
        if session == nil, operations.count == 1, let single = try await single(operations[0]) {
            await awaitDelivery(single.zxid)
            return single
        }
        var ops = operations.map { ZooKeeperMapping.op($0, acl: acl(for:)) }
        let offset = session == nil ? 0 : 1
        var indexNames: [String: String] = [:]
        if let session {
            ops.insert(.check(CheckVersionRequest(path: recordPath(session), version: -1)), at: 0)
            // Ephemerals go into the session's index in their own transaction (after the
            // operations, so results keep their places), and the session is marked in this
            // gateway's replica record first, for whoever adopts its ZooKeeper session.
            let ephemerals = operations.filter { if case .create(_, _, let mode, _) = $0 { mode.isEphemeral } else { false } }
            if !ephemerals.isEmpty {
                if configuration.adoptsReplicas { do throws(ZooKeeperError) { try await markDevice(session) } catch {
                    throw MultiFailure(index: -1, error: ZooKeeperMapping.error(error, path: ephemerals[0].path, session: session))
                } }
                let owner = client.sessionId
                var generator = SystemRandomNumberGenerator()
                for case .create(let path, _, let mode, _) in ephemerals where !mode.isSequential {
                    let entry = recordPath(session) + "/" + EphemeralIndex.name(for: path.string, suffix: generator.next())
                    ops.append(createOp(entry, data: EphemeralIndex.data(owner: owner)))
                    indexNames[path.string] = entry
                }
            }
        }
        let results: [MultiResult]
        let zxid: Int64
        do {
            (results, zxid) = try await client.multi(ops)
        } catch {
            throw MultiFailure(index: -1, error: ZooKeeperMapping.error(error, path: operations.first?.path ?? .root, session: session))
        }
        if let failure = ZooKeeperMapping.failure(results, operations: operations, session: session, offset: offset) {
            // Past the operations only the index entries, whose names no one else makes.
            if failure.index >= operations.count {
                throw MultiFailure(index: -1, error: .unavailable("the session's ephemeral index could not be written: \(failure.error)"))
            }
            throw failure
        }
        var answers: [OperationResult] = []
        for (operation, result) in zip(operations, results.dropFirst(offset)) {
            answers.append(await answer(operation, result, zxid: zxid, session: session))
        }
        if let session {
            for (path, entry) in await indexSequentialEphemerals(operations, answers, session: session) { indexNames[path] = entry }
        }
        await track(operations, answers, session: session, indexNames: indexNames)
        observe(operations, answers, zxid: zxid)
        await awaitDelivery(zxid)
        return (answers, zxid)
    }

    /// The stats a multi answers with are answers given for their nodes: checked and remembered
    /// like a read's (RegressionWatch).
    func observe(_ operations: [Operation], _ answers: [OperationResult], zxid: Int64) {
        let regressions = cache.withLock { cache in
            zip(operations, answers).compactMap { operation, answer -> RegressionWatch.Regression? in
                switch answer {
                case .created(let path, let stat): cache.answered.observe(path, stat, index: zxid)
                case .setData(let stat): cache.answered.observe(operation.path, stat, index: zxid)
                default: nil
                }
            }
        }
        for regression in regressions { report(regression) }
    }

    /// A lone create or setData as its own request, which answers with the stat; nil for the
    /// other operations, which go as a multi of one.
    func single(_ operation: Operation) async throws(MultiFailure) -> (results: [OperationResult], zxid: Int64)? {
        do {
            switch operation {
            case .create(_, let data, let mode, let ttlMs):
                let (path, stat) = try await createNode(operation.path.string, data: data, mode: wireMode(mode), ttlMs: ttlMs)
                let final = try ZNodePath(validating: path)
                let created = ZooKeeperMapping.stat(stat)
                if let regression = cache.withLock({ $0.answered.observe(final, created, index: created.czxid) }) {
                    report(regression)
                }
                return ([.created(path: final, stat: created)], stat.czxid)
            case .setData(_, let data, let version):
                let stat = ZooKeeperMapping.stat(try await client.setData(operation.path.string, data: data, version: version))
                let regression = cache.withLock { cache in
                    cache.wrote(operation.path, data: data, stat: stat, zxid: stat.mzxid)
                    return cache.answered.observe(operation.path, stat, index: stat.mzxid)
                }
                if let regression { report(regression) }
                return ([.setData(stat: stat)], stat.mzxid)
            case .delete, .check:
                return nil
            }
        } catch let error as ZooKeeperError {
            throw MultiFailure(index: 0, error: ZooKeeperMapping.error(error, path: operation.path))
        } catch {
            throw MultiFailure(index: 0, error: .invalidPath(String(describing: error), reason: "ZooKeeper returned a path the gateway cannot use"))
        }
    }

    func wireMode(_ mode: Coordination.CreateMode) -> WireCreateMode {
        WireCreateMode(rawValue: mode.zookeeperFlag) ?? .persistent
    }

    /// One result as the backend protocol reports it. ZooKeeper 3.8 answers a create inside a
    /// multi with its path only, so the stat is read back; when the node already changed, the
    /// stat it had at creation is rebuilt from what the create wrote.
    func answer(_ operation: Operation, _ result: MultiResult, zxid: Int64, session: Int64?) async -> OperationResult {
        let owner = session ?? 0
        switch (operation, result) {
        case (.create(_, let data, let mode, _), .create(let path)), (.create(_, let data, let mode, _), .create2(let path, _)):
            let final = (try? ZNodePath(validating: path)) ?? operation.path
            if case .create2(_, let stat) = result { return .created(path: final, stat: ZooKeeperMapping.stat(stat)) }
            if let stat = try? await client.exists(path), stat.czxid == zxid, stat.mzxid == zxid {
                var s = ZooKeeperMapping.stat(stat)
                s.ephemeralOwner = mode.isEphemeral ? owner : 0
                return .created(path: final, stat: s)
            }
            let stat = Coordination.Stat(
                czxid: zxid, mzxid: zxid, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0,
                ephemeralOwner: mode.isEphemeral ? owner : 0, dataLength: Int32(data.count),
                numChildren: 0, pzxid: zxid)
            return .created(path: final, stat: stat)
        case (_, .setData(let stat)):
            return .setData(stat: ZooKeeperMapping.stat(stat))
        case (_, .delete):
            return .deleted
        default:
            return .checked
        }
    }

    /// A sequential ephemeral's name is known only once it exists: its index entry follows,
    /// with its czxid. Should the gateway die in between, the node is still its ZooKeeper
    /// session's, and goes when whoever holds that session lets it go.
    func indexSequentialEphemerals(_ operations: [Operation], _ answers: [OperationResult], session: Int64) async
        -> [String: String]
    {
        let owner = client.sessionId
        var generator = SystemRandomNumberGenerator()
        var made: [String: String] = [:]
        for (operation, answer) in zip(operations, answers) {
            guard case .create(_, _, let mode, _) = operation, mode.isEphemeral, mode.isSequential,
                case .created(let path, let stat) = answer
            else { continue }
            let entry = recordPath(session) + "/" + EphemeralIndex.name(for: path.string, suffix: generator.next())
            if (try? await createNode(entry, data: EphemeralIndex.data(owner: owner, czxid: stat.czxid))) != nil {
                made[path.string] = entry
            }
        }
        return made
    }

    /// Keeps the ephemeral table in step with a committed transaction, and rewrites the owner
    /// in created stats to the device session.
    func track(_ operations: [Operation], _ answers: [OperationResult], session: Int64?, indexNames: [String: String] = [:]) async {
        var orphans: [String] = []
        var staleEntries: [String] = []
        devices.withLock { table in
            for (operation, answer) in zip(operations, answers) {
                switch (operation, answer) {
                case (.create(_, _, let mode, _), .created(let path, _)) where mode.isEphemeral:
                    if let session, !table.addEphemeral(path.string, session: session) { orphans.append(path.string) }
                    if let entry = indexNames[path.string] { table.indexEntries[path.string] = entry }
                case (.delete(let path, _), _):
                    if let entry = table.removeEphemeral(path.string) { staleEntries.append(entry) }
                default:
                    break
                }
            }
        }
        // The deleted nodes' index entries go too (after the fact: should this fail or the
        // gateway die first, the entry is only stale, and its czxid tells it apart at close).
        for entry in staleEntries { try? await client.delete(entry) }
        // The session began closing while this create was on the wire: its record check passed,
        // so the close did not see the node. Delete it now; nothing may outlive the session.
        for path in orphans { try? await client.delete(path) }
    }
}
