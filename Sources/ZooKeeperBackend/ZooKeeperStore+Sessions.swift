import Coordination
import ZooKeeperClient

#if canImport(Glibc)
import Glibc
#endif

extension ZooKeeperStore {
    /// Opens a device session: a random id whose record the create claims (unique across
    /// every gateway on the ensemble: a taken id fails the create and is drawn again).
    public func openSession(timeoutMs: Int64) async throws(CoordinationError) -> SessionInfo {
        guard Self.sessionTimeouts.contains(timeoutMs) else {
            throw .badArguments("a session timeout must be from \(Self.sessionTimeouts.lowerBound) to \(Self.sessionTimeouts.upperBound) ms")
        }
        let root = ZNodePath.root
        var record = JuteWriter()
        record.writeInt64(timeoutMs)
        // Random, so that an id says nothing about any other session (they were the counter's
        // zxids once, and a neighbour's was one guess away); the record's create is the one
        // write, and a taken id (one chance in 2^62 per session open) is drawn again.
        var generator = SystemRandomNumberGenerator()
        while true {
            let id = Int64(bitPattern: generator.next() >> 1)
            guard EphemeralType.isValidSessionID(id) else { continue }
            do {
                try await createNode(recordPath(id), data: record.bytes)
            } catch ZooKeeperError.server(.nodeExists) {
                continue
            } catch {
                throw ZooKeeperMapping.error(error, path: root)
            }
            let now = nowMs
            devices.withLock { $0.entries[id] = .init(timeoutMs: timeoutMs, deadlineMs: now + timeoutMs) }
            return SessionInfo(id: id, timeoutMs: timeoutMs, expiresInMs: timeoutMs)
        }
    }

    /// Refuses to vouch for a device session while this gateway's own session is in doubt: a
    /// device told "renewed" by a gateway cut off from the ensemble could hold a lock that a
    /// peer has meanwhile given to someone else. The device retries through another replica.
    func requireNoDoubt() throws(CoordinationError) {
        guard sessionInDoubt else { return }
        throw .unavailable("this gateway is cut off from ZooKeeper and cannot vouch for device sessions; retry, through another replica")
    }

    /// Refuses a read or write while the heartbeat is overdue: the gateway may be cut off,
    /// and a peer may adopt its session; an answer from here could be stale or unconfirmable.
    func requireHeartbeat() throws(CoordinationError) {
        guard overdue.load(ordering: .relaxed) else { return }
        throw .unavailable("this gateway may be cut off from ZooKeeper (its heartbeat is overdue); retry, through another replica")
    }

    public var deviceSessionCount: Int { devices.withLock { $0.entries.count } }

    /// - Throws: `.unavailable` while this gateway's own ZooKeeper session is in doubt
    ///   (`sessionInDoubt`): it cannot tell whether the session lives, and must not say so.
    public func renewSession(_ id: Int64) async throws(CoordinationError) -> SessionInfo {
        try requireNoDoubt()
        try await requireLive(id)
        let now = nowMs
        return try devices.withLock { (table) throws(CoordinationError) -> SessionInfo in
            guard var entry = table.entries[id], !entry.closing else { throw .sessionExpired(id) }
            entry.deadlineMs = now + entry.timeoutMs
            entry.renewed = true
            table.entries[id] = entry
            return SessionInfo(id: id, timeoutMs: entry.timeoutMs, expiresInMs: entry.timeoutMs)
        }
    }

    /// The session lives: what a grant needs, without listing what it owns.
    public func confirmSession(_ id: Int64) async throws(CoordinationError) {
        try requireNoDoubt()
        try await requireLive(id)
    }

    /// The session with every ephemeral it owns, whichever gateway made it (from its index).
    public func session(_ id: Int64) async throws(CoordinationError) -> SessionInfo {
        try requireNoDoubt()
        try await requireLive(id)
        let indexed: [String]
        do throws(ZooKeeperError) { indexed = try await indexedEphemerals(id).nodes } catch {
            throw ZooKeeperMapping.error(error, path: .root, session: id)
        }
        let now = nowMs
        return try devices.withLock { (table) throws(CoordinationError) -> SessionInfo in
            guard let entry = table.entries[id], !entry.closing else { throw .sessionExpired(id) }
            let paths = entry.ephemerals.union(indexed).sorted().compactMap { try? ZNodePath(validating: $0) }
            return SessionInfo(id: id, timeoutMs: entry.timeoutMs, expiresInMs: max(entry.deadlineMs - now, 1), ephemerals: paths)
        }
    }

    /// Deletes the record and every ephemeral in one multi: those its index lists (whichever
    /// gateway's ZooKeeper session made them), the index itself, and the markers that tell
    /// adopters about it. An ephemeral already deleted by someone else is left out and the
    /// multi retried.
    public func closeSession(_ id: Int64) async throws(CoordinationError) {
        let local = devices.withLock { table -> [String] in
            table.entries[id]?.closing = true
            return table.entries[id]?.ephemerals.sorted() ?? []
        }
        do throws(ZooKeeperError) {
            // A create racing the close adds an entry after the listing: the record's delete
            // then fails as not empty, and the listing is made again.
            var attempts = 0
            while true {
                attempts += 1
                let deletes = try await sessionDeletes(id, local: local) + [.delete(DeleteRequest(path: recordPath(id)))]
                do throws(ZooKeeperError) {
                    try await multiSkippingMissing(deletes)
                    break
                } catch .server(.notEmpty) where attempts < 3 {
                    continue
                }
            }
        } catch {
            devices.withLock { $0.entries[id]?.closing = false }
            throw ZooKeeperMapping.error(error, path: .root, session: id)
        }
        devices.withLock { $0.remove(id) }
    }

    /// The deletes that end a device session: its ephemerals, the index entries, the markers,
    /// then the record.
    func sessionDeletes(_ id: Int64, local: [String]) async throws(ZooKeeperError) -> [MultiOp] {
        let index = try await indexedEphemerals(id)
        let record = recordPath(id)
        return Set(local).union(index.nodes).sorted().map { MultiOp.delete(DeleteRequest(path: $0)) }
            + index.entries.map { .delete(DeleteRequest(path: record + "/" + $0)) }
            + index.owners.sorted().map { .delete(DeleteRequest(path: markerPath(owner: $0, device: id))) }
    }

    /// A device session's ephemeral index: its entries' names, the nodes that are still the
    /// ones an entry was made for (the same czxid: an entry whose node was deleted, or deleted
    /// and made again by someone else, is stale), and the ZooKeeper sessions that own them.
    func indexedEphemerals(_ id: Int64) async throws(ZooKeeperError) -> (entries: [String], nodes: [String], owners: Set<Int64>) {
        let record = recordPath(id)
        let names: [String]
        do { names = try await client.getChildren(record).children } catch .server(.noNode) { names = [] }
        let entries = names.compactMap { name in EphemeralIndex.path(of: name).map { (name, $0) } }
        guard !entries.isEmpty else { return (names, [], []) }
        var reads: [ReadOp] = []
        for (name, path) in entries { reads += [.getData(record + "/" + name), .getData(path)] }
        let (results, _) = try await client.multiRead(reads)
        var nodes: [String] = []
        var owners: Set<Int64> = []
        for (i, (_, path)) in entries.enumerated() {
            guard case .data(let data, let entryStat) = results[2 * i], let (owner, czxid) = EphemeralIndex.decode(data) else { continue }
            owners.insert(owner)
            if case .data(_, let nodeStat) = results[2 * i + 1], nodeStat.ephemeralOwner != 0,
                nodeStat.czxid == (czxid == 0 ? entryStat.czxid : czxid)
            {
                nodes.append(path)
            }
        }
        return (names, nodes, owners)
    }

    /// Runs `ops` as one multi; an op that fails because its node is gone is left out and the
    /// rest retried (each failed multi names only its first failing op).
    ///
    /// - Throws: the first other failure, as `.server(code)`, and connection errors.
    func multiSkippingMissing(_ ops: [MultiOp]) async throws(ZooKeeperError) {
        var ops = ops
        while !ops.isEmpty {
            let (results, _) = try await client.multi(ops)
            guard let (index, code) = MultiResponse(results: results).failure else { return }
            guard code == .noNode else { throw .server(code) }
            ops.remove(at: index)
        }
    }

    /// Throws `sessionExpired` unless the session is known and inside its deadline. A session
    /// this gateway does not hold but whose record exists (made by another gateway) is taken
    /// over with a fresh deadline.
    func requireLive(_ id: Int64) async throws(CoordinationError) {
        let now = nowMs
        enum Known { case live, closing, pastDeadline, unknown }
        let known: Known = devices.withLock { table in
            guard let entry = table.entries[id] else { return .unknown }
            if entry.closing { return .closing }
            return entry.deadlineMs <= now ? .pastDeadline : .live
        }
        switch known {
        case .live: return
        case .closing:
            throw .sessionExpired(id)
        case .pastDeadline:
            // Another gateway may have renewed it; only then does it live on.
            if await renewedElsewhere(id) { return }
            if devices.withLock({ $0.beginExpiry(id, nowMs: nowMs) }) { expireSoon(id) }
            throw .sessionExpired(id)
        case .unknown:
            let record: (data: [UInt8], stat: WireStat, zxid: Int64)
            do throws(ZooKeeperError) { record = try await client.getData(recordPath(id)) } catch {
                if error == .server(.noNode) { throw .sessionExpired(id) }
                throw ZooKeeperMapping.error(error, path: .root, session: id)
            }
            var reader = JuteReader(record.data)
            let timeoutMs = (try? reader.readInt64()) ?? 10_000
            devices.withLock { table in
                if table.entries[id] == nil { table.entries[id] = .init(timeoutMs: timeoutMs, deadlineMs: now + timeoutMs) }
            }
        }
    }

    func expireSoon(_ id: Int64) {
        Task { try? await self.closeSession(id) }
    }

    /// Expires device sessions past their deadline (every 100 ms: the TTL is a lower bound),
    /// unless another gateway renewed them meanwhile; and every 250 ms, touches the records
    /// of the sessions renewed here, in one multi (at most four writes a second, however many
    /// devices renew).
    func startSweeper() {
        let task = Task { [weak self] in
            var lastTouch = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                guard let self else { return }
                if ContinuousClock.now - lastTouch >= .milliseconds(250) {
                    lastTouch = ContinuousClock.now
                    await self.touchRenewedRecords()
                }
                // A gateway that cannot see the ensemble expires nothing: the devices may be
                // renewing through a replica that can.
                if self.sessionInDoubt { continue }
                let expired = self.devices.withLock { [now = self.nowMs] in $0.pastDeadline(nowMs: now) }
                for id in expired {
                    if await self.renewedElsewhere(id) { continue }
                    guard self.devices.withLock({ [now = self.nowMs] in $0.beginExpiry(id, nowMs: now) }) else { continue }
                    do { try await self.closeSession(id) } catch {
                        self.logger.warning("device session \(id) expired but could not be deleted yet: \(error)")
                        self.devices.withLock { $0.entries[id]?.closing = false }
                    }
                }
            }
        }
        tasks.withLock { $0.append(task) }
    }

    /// One multi rewriting the record of every session renewed here since the last touch, so
    /// its mtime tells other gateways it lives. A record already deleted is left out.
    func touchRenewedRecords() async {
        let renewed = devices.withLock { $0.takeRenewed() }
        guard !renewed.isEmpty else { return }
        let ops = renewed.map { id, timeoutMs -> MultiOp in
            var record = JuteWriter()
            record.writeInt64(timeoutMs)
            return .setData(SetDataRequest(path: recordPath(id), data: record.bytes))
        }
        // A failure drops this round's touches; each session's next renewal touches it again.
        try? await multiSkippingMissing(ops)
    }

    /// Whether the session's record was touched by a renewal within its timeout (by another
    /// gateway); if so the local deadline moves to match and the session is kept.
    func renewedElsewhere(_ id: Int64) async -> Bool {
        let found: WireStat?
        do throws(ZooKeeperError) { found = try await client.exists(recordPath(id)) } catch {
            // Unreadable (cut off, or the ensemble between leaders): another gateway may be
            // renewing it right now. Kept, and looked at again on the next sweep.
            return true
        }
        // Gone: expire (a failure to delete is retried on the next sweep).
        guard let stat = found else { return false }
        let timeout = devices.withLock { $0.entries[id]?.timeoutMs } ?? 0
        let sinceTouch = WallClock.milliseconds() - stat.mtime
        guard sinceTouch < timeout else { return false }
        let now = nowMs
        devices.withLock { table in
            table.entries[id]?.deadlineMs = now + timeout - max(sinceTouch, 0)
        }
        return true
    }

    /// Another gateway closed or expired the session (its record is gone): delete the
    /// ephemerals this gateway made for it.
    func recordDeleted(_ id: Int64) {
        let owned = devices.withLock { table -> Bool in
            // Unknown here, or being closed here (this is then our own delete coming back).
            guard let entry = table.entries[id], !entry.closing else { return false }
            table.entries[id]?.closing = true
            return true
        }
        guard owned else { return }
        Task { try? await self.closeSession(id) }
    }
}
