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
    /// Subtrees whose changes are the gateway's own bookkeeping, not the users'.
    let hidden: [ZNodePath]
    var pending: [(WatchEvent.Kind, ZNodePath)] = []

    /// - Parameter hidden: valid paths (others are ignored).
    init(hidden: [String]) { self.hidden = hidden.compactMap { try? ZNodePath(validating: $0) } }

    /// Adds a notification; returns whether it produced events (then a mark must follow).
    mutating func notified(_ event: WatcherEvent) -> Bool {
        guard let path = try? ZNodePath(validating: event.path) else { return false }
        if hidden.contains(where: { $0 == path || $0.isAncestor(of: path) }) { return false }
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
            var expired = false
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
                        expired = true
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
                    if expired, self.configuration.adoptsReplicas {
                        // A new session: published, so that replicas can adopt it in turn.
                        expired = false
                        do { try await self.publishReplicaRecord() } catch {
                            self.logger.warning("could not publish the new ZooKeeper session for adoption: \(error)")
                        }
                    }
                case .state:
                    break
                }
            }
            self?.releaseWriters()
        }
        tasks.withLock { $0.append(task) }
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
