import Coordination

/// Delivering the feed's change batches to the sink, and answering writes once theirs arrived.
extension ZooKeeperStore {
    /// Queues a batch for delivery. One drainer at a time delivers the queue in order, so a
    /// burst of batches costs one round of cache refreshes, not one per batch.
    func enqueueDelivery(_ batch: ChangeBatch) {
        // The common case, a batch with nothing ahead of it and no cached node to read again,
        // is delivered here: no drainer task between a write's reply and its answer.
        if !batch.resync, deliveries.withLock({ $0.claimIdle() }) {
            // The check and the raised mark are one step: a read that ends after it and predates
            // this batch is then refused by the cache instead of slipping in unrefreshed.
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
            let (released, start) = deliveries.withLock { $0.endInPlace(through: batch.zxid) }
            for writer in released { writer.resume() }
            if start { startDrainer() }
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
        // Unsafe, not checked: the queue hands each writer out exactly once (released, or all
        // at the feed's end), and a checked continuation costs an allocation per write.
        await withUnsafeContinuation { (writer: UnsafeContinuation<Void, Never>) in
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
        let regressions = cache.withLock { cache in
            for (key, read) in refreshed { cache.store(key, read) }
            cache.deliveredZxid = max(cache.deliveredZxid, last.zxid)
            return refreshed.compactMap { cache.observe($0.1) }
        }
        for regression in regressions { report(regression) }
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
        let regressions = cache.withLock { cache in
            for (key, read) in refreshed { cache.store(key, read) }
            cache.deliveredZxid = max(cache.deliveredZxid, batch.zxid)
            return refreshed.compactMap { cache.observe($0.1) }
        }
        for regression in regressions { report(regression) }
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
}
