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

    mutating func store(_ key: Key, _ read: ReadResult) {
        guard read.index >= deliveredZxid else { return }
        if entries.count >= Self.capacity, entries[key] == nil, let victim = entries.keys.first {
            entries.removeValue(forKey: victim)
        }
        entries[key] = read
    }

    /// Whether a batch touches any cached key.
    func touches(_ batch: ChangeBatch) -> Bool {
        batch.events.contains { entries[Key(path: $0.path, children: false)] != nil || entries[Key(path: $0.path, children: true)] != nil }
    }

    /// Removes and returns the cached keys a batch touches.
    mutating func take(touchedBy batch: ChangeBatch) -> [Key] {
        var keys: [Key] = []
        for path in Set(batch.events.map(\.path)) {
            for children in [false, true] {
                let key = Key(path: path, children: children)
                if entries.removeValue(forKey: key) != nil { keys.append(key) }
            }
        }
        return keys
    }
}
