import Coordination

/// Reads of the nodes the gateway was asked about, kept coherent by the change feed: before a
/// batch reaches the sink, every cached node it touches is read again, so `readNow` answers a
/// woken long-poll with the state after the change, and hot reads never reach ZooKeeper.
struct NodeCache: Sendable {
    struct Key: Hashable, Sendable {
        var path: ZNodePath
        var children: Bool
    }

    static let capacity = 50_000
    var entries: [Key: ReadResult] = [:]
    /// The zxid of the last batch delivered: a read older than it may miss a change already
    /// applied, so it is not cached.
    var deliveredZxid: Int64 = 0
    /// The newest state answered for each node, to notice the ensemble going back on it. Kept
    /// apart from `entries`: dropping cached reads (a disconnect) keeps what was answered.
    var answered = RegressionWatch()

    /// Checks a read about to be answered against what was answered before for its node (a
    /// read without a node has nothing to compare), and remembers it.
    mutating func observe(_ read: ReadResult) -> RegressionWatch.Regression? {
        guard let node = read.node else { return nil }
        return answered.observe(node.path, node.stat, index: read.index)
    }

    mutating func store(_ key: Key, _ read: ReadResult) {
        guard read.index >= deliveredZxid else { return }
        if entries.count >= Self.capacity, entries[key] == nil, let victim = entries.keys.first {
            entries.removeValue(forKey: victim)
        }
        entries[key] = read
    }

    /// Whether `key` is cached with a read older than `zxid`: one a batch at `zxid` makes stale
    /// (entries as new as the batch are a read made after it, or the state a write of ours left).
    func isStale(_ key: Key, before zxid: Int64) -> Bool {
        entries[key].map { $0.index < zxid } ?? false
    }

    /// Whether a batch makes any cached entry stale (one `take` would remove).
    func touches(_ batch: ChangeBatch) -> Bool {
        batch.events.contains { event in
            isStale(Key(path: event.path, children: false), before: batch.zxid)
                || isStale(Key(path: event.path, children: true), before: batch.zxid)
        }
    }

    /// Removes and returns the cached keys a batch makes stale.
    mutating func take(touchedBy batch: ChangeBatch) -> [Key] {
        var keys: [Key] = []
        for path in Set(batch.events.map(\.path)) {
            for children in [false, true] {
                let key = Key(path: path, children: children)
                guard isStale(key, before: batch.zxid) else { continue }
                entries.removeValue(forKey: key)
                keys.append(key)
            }
        }
        return keys
    }

    /// A setData of ours answered with the node's new data and stat: the cached reads of the
    /// node become that state, so delivering the write's batch reads nothing again. An entry
    /// with children is kept only when its children cannot have changed meanwhile (the same
    /// cversion); the owner and type are the entry's (a setData changes neither).
    mutating func wrote(_ path: ZNodePath, data: [UInt8], stat: Stat, zxid: Int64) {
        for children in [false, true] {
            let key = Key(path: path, children: children)
            guard let old = entries[key], var node = old.node, old.index < zxid else { continue }
            guard !children || node.stat.cversion == stat.cversion else { continue }
            var written = stat
            written.ephemeralOwner = node.stat.ephemeralOwner
            node.data = data
            node.stat = written
            let changeIndex = children ? max(written.mzxid, written.pzxid) : written.mzxid
            store(key, ReadResult(node: node, index: zxid, changeIndex: changeIndex))
        }
    }
}
