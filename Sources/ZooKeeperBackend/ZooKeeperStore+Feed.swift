import Coordination
import ZooKeeperClient

/// Turns the notifications of one persistent recursive watch into change batches.
///
/// ZooKeeper 3.8 notifications carry no zxid, so each is labelled with the next `.zxid` mark
/// of the client's stream (a write or sync reply): the exact zxid for this gateway's own
/// writes (their reply is the mark), and an upper bound for everyone else's. An upper bound is the safe
/// side: a waiter woken for a zxid it had already seen re-reads and parks again, while a
/// label below the truth could make a waiter skip a change. A recursive watch delivers no
/// children events, so they are rebuilt after each create and delete, in DataTree's order.
struct FeedSequencer: Sendable {
    /// Paths whose changes are the gateway's own bookkeeping, not the users'.
    let hidden: [String]
    var pending: [(WatchEvent.Kind, ZNodePath)] = []

    init(hidden: [String]) { self.hidden = hidden }

    /// Adds a notification; returns whether it produced events (then a mark must follow).
    mutating func notified(_ event: WatcherEvent) -> Bool {
        guard let path = try? ZNodePath(validating: event.path) else { return false }
        if hidden.contains(where: { event.path == $0 || event.path.hasPrefix($0 + "/") }) { return false }
        switch event.type {
        case .nodeCreated:
            pending.append((.created, path))
            if let parent = path.parent { pending.append((.childrenChanged, parent)) }
        case .nodeDeleted:
            pending.append((.deleted, path))
            if let parent = path.parent { pending.append((.childrenChanged, parent)) }
        case .nodeDataChanged:
            pending.append((.dataChanged, path))
        case .nodeChildrenChanged:
            pending.append((.childrenChanged, path))
        default:
            return false
        }
        return true
    }

    /// The pending events as one batch at `zxid`, or nil when there are none.
    mutating func mark(_ zxid: Int64) -> ChangeBatch? {
        guard !pending.isEmpty else { return nil }
        let events = pending.map { WatchEvent(kind: $0.0, path: $0.1, zxid: zxid) }
        pending.removeAll()
        return ChangeBatch(events: events, zxid: zxid)
    }
}

extension ZooKeeperStore {
    /// Watches the whole tree (below the chroot) and feeds the change sink. After a
    /// notification with no write of ours in flight, a sync brings the mark.
    func startFeed() async throws(ZooKeeperError) {
        let events = client.events(zxidMarks: true)
        let hidden = [configuration.recordRoot, "/zookeeper"]
        try await client.addWatch("/", mode: .persistentRecursive)
        let task = Task(executorPreference: client.executor) { [weak self] in
            var sequencer = FeedSequencer(hidden: hidden)
            var disconnected = false
            for await event in events {
                guard let self else { return }
                switch event {
                case .watch(let watch):
                    if sequencer.notified(watch) {
                        self.notificationsPending.store(true, ordering: .relaxed)
                        self.requestMark()
                    }
                    if watch.type == .nodeDeleted, let id = self.sessionID(ofRecord: watch.path) { self.recordDeleted(id) }
                case .zxid(let zxid):
                    if let batch = sequencer.mark(zxid) { self.enqueueDelivery(batch) } else { self.passMark(zxid) }
                    self.notificationsPending.store(!sequencer.pending.isEmpty, ordering: .relaxed)
                case .state(.suspended), .state(.expired):
                    if case .state(.expired) = event {
                        self.logger.error("the gateway's ZooKeeper session expired: device ephemerals are gone")
                        self.devices.withLock { $0.dropAllEphemerals() }
                    }
                    disconnected = true
                    self.forgetCacheIfStillDisconnected()
                case .state(.connected):
                    // The recursive watch came back (or, after an expiry, must be set again)
                    // without the changes made meanwhile: resync.
                    guard disconnected else { break }
                    disconnected = false
                    sequencer.pending.removeAll()
                    // Adding the same watch again is harmless; after an expiry it is needed.
                    do { try await self.client.addWatch("/", mode: .persistentRecursive) } catch {
                        self.logger.warning("could not set the recursive watch again: \(error)")
                    }
                    self.enqueueDelivery(ChangeBatch(events: [], zxid: self.client.lastZxid, resync: true))
                case .state:
                    break
                }
            }
            self?.releaseWriters()
        }
        tasks.withLock { $0.append(task) }
    }

    /// Queues a batch for delivery. One drainer at a time delivers the queue in order, so a
    /// burst of batches costs one round of cache refreshes, not one per batch.
    func enqueueDelivery(_ batch: ChangeBatch) {
        // The common case, a batch with nothing ahead of it and no cached node to read again,
        // is delivered here: no drainer task between a write's reply and its answer.
        if !batch.resync, deliveries.withLock({ $0.claimIdle() }) {
            let touched = cache.withLock { cache -> Bool in
                guard !cache.touches(batch) else { return true }
                cache.deliveredZxid = max(cache.deliveredZxid, batch.zxid)
                return false
            }
            if touched {
                deliveries.withLock { $0.handOver(batch) }
                return startDrainer()
            }
            sink.withLock { $0 }?.deliver(batch)
            acknowledge(batch.zxid)
            if deliveries.withLock({ $0.endInPlace() }) { startDrainer() }
            return
        }
        guard deliveries.withLock({ $0.enqueue(batch) }) else { return }
        startDrainer()
    }

    /// A mark that labels no notification: the writes it answers wait only for the batches
    /// ahead of it.
    func passMark(_ zxid: Int64) {
        let (start, released) = deliveries.withLock { $0.passMark(zxid) }
        for writer in released { writer.resume() }
        if start { startDrainer() }
    }

    func startDrainer() {
        Task(executorPreference: client.executor) { await self.drainDeliveries() }
    }

    func drainDeliveries() async {
        while true {
            let batches = deliveries.withLock { $0.takeBatches() }
            guard !batches.isEmpty else { return }
            var run: [ChangeBatch] = []
            for batch in batches {
                if batch.resync {
                    await deliver(run)
                    run.removeAll()
                    await resync(batch)
                } else {
                    run.append(batch)
                }
            }
            await deliver(run)
        }
    }

    /// Returns once every change through `zxid` (a write of ours) has reached the sink.
    func awaitDelivery(_ zxid: Int64) async {
        guard deliveries.withLock({ $0.acknowledged < zxid }) else { return }
        await withCheckedContinuation { (writer: CheckedContinuation<Void, Never>) in
            if !deliveries.withLock({ $0.wait(for: zxid, writer) }) { writer.resume() }
        }
    }

    /// Resumes the writers whose changes reached the sink with everything through `zxid`.
    func acknowledge(_ zxid: Int64) {
        for writer in deliveries.withLock({ $0.acknowledge(zxid) }) { writer.resume() }
    }

    /// The feed has ended (shutdown or a closed client): no writer may wait for it.
    func releaseWriters() {
        for writer in deliveries.withLock({ $0.releaseAll() }) { writer.resume() }
    }

    /// Reads again every cached node the batches touch (once each), then delivers them in
    /// order. A read that fails leaves its node uncached (the next read goes to ZooKeeper).
    func deliver(_ batches: [ChangeBatch]) async {
        guard let last = batches.last else { return }
        let keys = cache.withLock { cache in batches.flatMap { cache.take(touchedBy: $0) } }
        let refreshed = keys.isEmpty ? [] : await reread(Array(Set(keys)), atLeast: last.zxid)
        cache.withLock { cache in
            for (key, read) in refreshed { cache.store(key, read) }
            cache.deliveredZxid = max(cache.deliveredZxid, last.zxid)
        }
        if let sink = sink.withLock({ $0 }) {
            for batch in batches where !batch.events.isEmpty { sink.deliver(batch) }
        }
        acknowledge(last.zxid)
    }

    /// After a disconnect or a new session: read every cached node again and deliver the
    /// resync batch, so waiters re-check against the current state and feeds report the gap.
    func resync(_ batch: ChangeBatch) async {
        let keys = cache.withLock { cache -> [NodeCache.Key] in
            defer { cache.entries.removeAll() }
            return Array(cache.entries.keys)
        }
        let refreshed = await reread(keys, atLeast: batch.zxid)
        cache.withLock { cache in
            for (key, read) in refreshed { cache.store(key, read) }
            cache.deliveredZxid = max(cache.deliveredZxid, batch.zxid)
        }
        logger.notice("resynced after a ZooKeeper disconnect", metadata: ["zxid": "\(batch.zxid)", "cached": "\(refreshed.count)"])
        sink.withLock { $0 }?.deliver(batch)
        acknowledge(batch.zxid)
    }

    /// Reads the keys again, concurrently; a failed read leaves its key out.
    func reread(_ keys: [NodeCache.Key], atLeast zxid: Int64) async -> [(NodeCache.Key, ReadResult)] {
        var refreshed: [(NodeCache.Key, ReadResult)] = []
        await withTaskGroup(of: (NodeCache.Key, ReadResult)?.self) { group in
            for key in keys {
                group.addTask {
                    guard var read = try? await self.readRemote(key.path, children: key.children) else { return nil }
                    // Sent after the notification (or reconnect), the read shows the change even
                    // when a follower's reply zxid lags it.
                    read.index = max(read.index, zxid)
                    return (key, read)
                }
            }
            for await result in group { if let result { refreshed.append(result) } }
        }
        return refreshed
    }

    /// After a whole session timeout without a connection the session may be gone on the
    /// ensemble, so cached state is no longer served (reads then wait for ZooKeeper, and
    /// answer 503 while it stays away).
    func forgetCacheIfStillDisconnected() {
        let timeout = Duration.milliseconds(Int64(configuration.sessionTimeoutMs))
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard let self, !self.isReady else { return }
            self.cache.withLock { $0.entries.removeAll() }
            self.logger.warning("no ZooKeeper connection for a session timeout: cached reads dropped")
        }
    }

    /// A write of ours is answered (its own batch delivered) or failed. When it was the last
    /// one on the wire and notifications still wait for a mark, a sync brings one: the write's
    /// own mark has been taken by then, so those notifications are someone else's.
    func writeEnded() {
        if writesInFlight.subtract(1, ordering: .relaxed).newValue == 0, notificationsPending.load(ordering: .relaxed) {
            requestMark()
        }
    }

    /// The device session whose record is at `path`, if it is one.
    func sessionID(ofRecord path: String) -> Int64? {
        let prefix = sessionsPath + "/"
        guard path.hasPrefix(prefix), let value = UInt64(path.dropFirst(prefix.count), radix: 16) else { return nil }
        return Int64(bitPattern: value)
    }

    /// Sends one sync, unless one is already on its way: its reply, sent in commit order, is
    /// the mark that labels the notifications before it.
    func requestMark() {
        // A write of ours on its way brings a mark with its reply; when the last one is
        // answered, `writeEnded` asks again if notifications are still unlabelled.
        guard writesInFlight.load(ordering: .relaxed) == 0,
            markProbe.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        Task(executorPreference: client.executor) {
            defer { self.markProbe.store(false, ordering: .releasing) }
            _ = try? await self.client.sync("/")
        }
    }
}
