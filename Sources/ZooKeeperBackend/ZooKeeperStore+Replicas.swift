import Coordination
import ZooKeeperClient

/// Replicas adopt each other's ZooKeeper sessions. A device's ephemerals are owned by the
/// ZooKeeper session of the gateway that created them; when that gateway dies, the ensemble
/// would delete them a session timeout later although the device lives on. So each gateway
/// publishes its session's id and password in `<recordRoot>/replicas/<session>` and rewrites
/// the record every 250 ms; a peer whose record stays unchanged through a second of this
/// gateway's own heartbeats is presumed dead, and the first replica to claim its record (a
/// version-checked write) attaches to its session. The ephemerals then live on unchanged, the
/// same nodes with the same czxids: fencing tokens, queue positions and leadership do not
/// move. A gateway that finds its own record claimed by another (it was cut off, not dead)
/// takes it back; the adopter, whose copy the ensemble then disconnects, waits before
/// attaching again, sees the record taken back, and lets go of its copy without closing it.
extension ZooKeeperStore {
    var replicasPath: String { configuration.recordRoot + "/replicas" }

    func replicaPath(_ session: Int64) -> String {
        replicasPath + "/" + String(UInt64(bitPattern: session), radix: 16)
    }

    /// Where a device session is marked as having ephemerals in a gateway session's keeping.
    func markerPath(owner: Int64, device: Int64) -> String {
        replicaPath(owner) + "/" + String(UInt64(bitPattern: device), radix: 16)
    }

    /// Publishes this gateway's session (at start-up, and after an expiry made a new one).
    func publishReplicaRecord() async throws(ZooKeeperError) {
        guard let credentials = client.sessionCredentials else { return }
        let record = ReplicaRecord(password: credentials.password, timeoutMs: client.negotiatedTimeoutMs, holder: credentials.sessionId)
        try await ensureNode(replicasPath)
        let (_, stat) = try await createNode(replicaPath(credentials.sessionId), data: record.encoded)
        let now = nowMs
        replicas.withLock { table in
            table.held = table.held.filter { $0.value.client != nil }
            table.held[credentials.sessionId] = .init(client: nil, record: record, version: stat.version)
            table.marked.removeAll()
            table.lastOwnBeatMs = now
        }
    }

    /// Heartbeats on a task of their own, every 250 ms, whatever else the sweeper is busy
    /// with: a late heartbeat is what makes a live gateway look dead.
    func startHeartbeat() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                let started = ContinuousClock.now
                guard let self else { return }
                await self.replicaRound()
                try? await Task.sleep(until: started + .milliseconds(250), clock: .continuous)
            }
        }
        tasks.withLock { $0.append(task) }
    }

    /// Whether this gateway's own ZooKeeper session is in doubt: with adoption on and peers
    /// around, its record not written for `ReplicaTable.doubtAfterMs` (a peer may adopt it
    /// soon); either way, no connection to the ensemble. Device session renewals and reads, and with them lock and
    /// election grants, then answer 503 instead of vouching for a session this gateway cannot
    /// see.
    public var sessionInDoubt: Bool {
        guard case .connected = client.state else { return true }
        return overdue.load(ordering: .relaxed)
    }

    /// With adoption on and peers around, whether this gateway's record has gone unwritten
    /// for `ReplicaTable.doubtAfterMs`: a peer may adopt its session soon. Alone, no one can,
    /// and a slow heartbeat is no doubt.
    var heartbeatOverdue: Bool {
        guard configuration.adoptsReplicas else { return false }
        let (last, alone) = replicas.withLock { ($0.lastOwnBeatMs, $0.peers.isEmpty) }
        return !alone && nowMs - last > ReplicaTable.doubtAfterMs
    }

    /// Every 50 ms: refreshes `overdue`. When the heartbeat becomes overdue, the connection is
    /// dropped at once, so that every request waiting on it fails now (503) instead of when
    /// the read timeout notices the silence, seconds later; requests that need ZooKeeper then
    /// fail fast (`requireNoDoubt`) until a heartbeat gets through.
    func startDoubtWatch() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                guard let self else { return }
                await self.letGoOfTakenBack()
                let now = self.heartbeatOverdue
                guard now != self.overdue.exchange(now, ordering: .relaxed) else { continue }
                if now {
                    self.logger.warning("this gateway's heartbeat is overdue: its ZooKeeper session is in doubt; answering 503 until it gets through")
                    self.client.dropConnection()
                } else {
                    self.logger.notice("heartbeat through again: serving")
                }
            }
        }
        tasks.withLock { $0.append(task) }
    }

    /// An adopted session whose connection dropped may have been taken back by its replica:
    /// the ensemble disconnects the older of two clients attached to one session. Its record
    /// says so once the replica has written it (its next heartbeat, within the adopted
    /// client's reconnect pause): then the copy here is let go of before it attaches again
    /// and takes the session from its owner in turn.
    func letGoOfTakenBack() async {
        let adopted = replicas.withLock { table in
            table.held.filter { entry in
                guard let copy = entry.value.client else { return false }
                if case .connected = copy.state { return false }
                return true
            }
        }
        for (id, entry) in adopted {
            guard let current = try? await client.getData(replicaPath(id)), let record = ReplicaRecord(decoding: current.data),
                record.holder != client.sessionId
            else { continue }
            await lost(id, entry)
        }
    }

    /// How many times this gateway took its own session back from a replica that adopted it
    /// while it was cut off (zkgate_replica_sessions_taken_back_total).
    public var takenBackCount: Int { replicas.withLock { $0.takenBack } }

    /// The other replicas whose records this gateway sees (zkgate_replica_peers).
    public var peerCount: Int { replicas.withLock { $0.peers.count } }

    /// How many sessions of dead replicas this gateway adopted (zkgate_replica_adoptions_total).
    public var adoptionCount: Int { replicas.withLock { $0.adoptions } }

    /// One heartbeat round: rewrite every held record, look at the peers' records, adopt the
    /// sessions of peers presumed dead, and let go of adopted sessions with nothing left in
    /// them.
    func replicaRound() async {
        let held = replicas.withLock { $0.held }
        guard !held.isEmpty else { return }
        var counted = true
        for (id, entry) in held {
            let path = replicaPath(id)
            do throws(ZooKeeperError) {
                let stat = try await client.setData(path, data: entry.record.encoded, version: entry.version)
                let now = nowMs
                replicas.withLock { table in
                    table.held[id]?.version = stat.version
                    if entry.client == nil { table.lastOwnBeatMs = now }
                }
            } catch .server(.badVersion), .server(.noNode) {
                counted = false
                await lost(id, entry)
            } catch {
                counted = false
            }
        }
        await lookAtPeers(counted: counted)
        await releaseEmptyAdoptions()
    }

    /// A held record was written by someone else, or deleted: an adopted session is let go of;
    /// our own is taken back.
    func lost(_ id: Int64, _ entry: ReplicaTable.Held) async {
        if let current = try? await client.getData(replicaPath(id)), let record = ReplicaRecord(decoding: current.data),
            record.holder == client.sessionId
        {
            // Still ours (our own earlier write raced a retry): take its version.
            replicas.withLock { $0.held[id]?.version = current.stat.version }
            return
        }
        if let adopted = entry.client {
            replicas.withLock { _ = $0.held.removeValue(forKey: id) }
            logger.warning("an adopted ZooKeeper session was taken back by its replica, or over by another; letting go of it",
                metadata: ["session": "\(hex(id))"])
            await adopted.abandon()
            return
        }
        // Our own session, claimed by a replica that presumed us dead while we were cut off.
        // ZooKeeper serves a session to whichever connection attached last, and ours is back:
        // take the record back, and the adopter lets go of its copy on its next heartbeat.
        // Nothing the session owns moved meanwhile.
        guard let current = try? await client.getData(replicaPath(id)) else { return }
        var record = entry.record
        record.handover = false
        guard let stat = try? await client.setData(replicaPath(id), data: record.encoded, version: current.stat.version) else { return }
        let now = nowMs
        replicas.withLock { table in
            table.held[id]?.version = stat.version
            table.lastOwnBeatMs = now
            table.takenBack += 1
        }
        logger.warning("took this gateway's ZooKeeper session back from the replica that adopted it while it was cut off",
            metadata: ["session": "\(hex(id))"])
    }

    /// Reads every peer's record in one request, and adopts those presumed dead or handed over.
    func lookAtPeers(counted: Bool) async {
        guard let children = try? await client.getChildren(replicasPath).children else { return }
        let own = Set(replicas.withLock { $0.held.keys })
        let peers = children.compactMap { UInt64($0, radix: 16).map { Int64(bitPattern: $0) } }.filter { !own.contains($0) }
        replicas.withLock { table in table.peers = table.peers.filter { peers.contains($0.key) } }
        guard !peers.isEmpty, let (results, _) = try? await client.multiRead(peers.map { .getData(replicaPath($0)) }) else { return }
        for (id, result) in zip(peers, results) {
            guard case .data(let data, let stat) = result, let record = ReplicaRecord(decoding: data) else { continue }
            let dead = replicas.withLock { $0.observe(peer: id, version: stat.version, counted: counted) }
            if dead || record.handover { await adopt(id, record, version: stat.version) }
        }
    }

    /// Claims a dead peer's record, then attaches to its session.
    func adopt(_ id: Int64, _ record: ReplicaRecord, version: Int32) async {
        let started = nowMs
        var claimed = record
        claimed.holder = client.sessionId
        claimed.handover = false
        let stat: WireStat
        do throws(ZooKeeperError) {
            stat = try await client.setData(replicaPath(id), data: claimed.encoded, version: version)
        } catch {
            return  // it beat after all, or another replica claimed it first
        }
        let attached: ZooKeeperClient
        do {
            var config = try configuration.client(sessionTimeoutMs: record.timeoutMs)
            config.attach = SessionCredentials(sessionId: id, password: record.password)
            // Long enough for a returning owner to write its record back (a heartbeat, 250 ms)
            // and for letGoOfTakenBack to read it (every 50 ms); short beside the timeout.
            config.reconnectPauseMs = min(1_000, Int(record.timeoutMs) / 4)
            attached = try ZooKeeperClient(configuration: config, loop: configuration.loop)
            try await attached.waitUntilConnected(timeoutMs: Int(record.timeoutMs))
        } catch {
            // Expired already: the ensemble deleted its ephemerals. Nothing is left to keep.
            logger.error("a dead replica's ZooKeeper session could not be adopted; its device ephemerals are gone",
                metadata: ["session": "\(hex(id))", "error": "\(error)"])
            await deleteReplicaRecord(id)
            return
        }
        replicas.withLock { table in
            table.held[id] = .init(client: attached, record: claimed, version: stat.version)
            table.peers.removeValue(forKey: id)
            table.adoptions += 1
        }
        await takeOverDevices(of: id)
        logger.notice("adopted the ZooKeeper session of a replica that stopped",
            metadata: ["session": "\(hex(id))", "ms": "\(nowMs - started)"])
    }

    /// The device sessions with ephemerals in an adopted session join this gateway's table, so
    /// that they expire here when their devices stop renewing, and their nodes go with them.
    func takeOverDevices(of owner: Int64) async {
        guard let devicesMarked = try? await client.getChildren(replicaPath(owner)).children else { return }
        for name in devicesMarked {
            guard let value = UInt64(name, radix: 16) else { continue }
            let device = Int64(bitPattern: value)
            guard let (data, _, _) = try? await client.getData(recordPath(device)) else {
                // Closed meanwhile: its marker is stale.
                try? await client.delete(markerPath(owner: owner, device: device))
                continue
            }
            var reader = JuteReader(data)
            let timeoutMs = (try? reader.readInt64()) ?? 10_000
            let now = nowMs
            devices.withLock { table in
                if table.entries[device] == nil { table.entries[device] = .init(timeoutMs: timeoutMs, deadlineMs: now + timeoutMs) }
            }
        }
    }

    /// Adopted sessions whose device sessions have all ended are closed (what is left in them,
    /// if anything, goes with them) and their records deleted.
    func releaseEmptyAdoptions() async {
        let adopted = replicas.withLock { $0.held.compactMap { id, held in held.client.map { (id, $0) } } }
        for (id, attached) in adopted {
            guard let markers = try? await client.getChildren(replicaPath(id)).children, markers.isEmpty else { continue }
            replicas.withLock { _ = $0.held.removeValue(forKey: id) }
            await attached.close()
            await deleteReplicaRecord(id)
            logger.notice("let go of an adopted ZooKeeper session: no device session has nodes in it any more",
                metadata: ["session": "\(hex(id))"])
        }
    }

    func deleteReplicaRecord(_ id: Int64) async {
        let markers = (try? await client.getChildren(replicaPath(id)).children) ?? []
        let deletes = markers.map { MultiOp.delete(DeleteRequest(path: replicaPath(id) + "/" + $0)) }
            + [.delete(DeleteRequest(path: replicaPath(id)))]
        try? await multiSkippingMissing(deletes)
    }

    /// Marks a device session as having ephemerals in this gateway's session (once per pair),
    /// so that an adopter of the session knows which devices to look after.
    func markDevice(_ device: Int64) async throws(ZooKeeperError) {
        let owner = client.sessionId
        guard !replicas.withLock({ $0.marked.contains(device) }) else { return }
        try await ensureNode(markerPath(owner: owner, device: device))
        replicas.withLock { _ = $0.marked.insert(device) }
    }

    /// At shutdown, with other replicas running: every held session is left to them at once
    /// (the record's `handover`), instead of closed, so no device loses its ephemerals to a
    /// rolling restart. Returns whether there was anyone to leave them to.
    func handOver() async -> Bool {
        let (held, peers) = replicas.withLock { ($0.held, $0.peers) }
        guard !peers.isEmpty, !held.isEmpty else { return false }
        for (id, entry) in held {
            var record = entry.record
            record.handover = true
            _ = try? await client.setData(replicaPath(id), data: record.encoded, version: entry.version)
        }
        for (_, entry) in held { await entry.client?.abandon() }
        return true
    }

    func hex(_ id: Int64) -> String { "0x" + String(UInt64(bitPattern: id), radix: 16) }
}
