import Authorization
import Coordination

/// The most recent change events, for the watch feed: a ring of `capacity` events in zxid
/// order. A cursor older than what the ring still holds cannot resume (410 Gone).
struct ChangeHistory {
    let capacity: Int
    private var ring: [WatchEvent] = []
    private var start = 0
    /// Every event with a zxid up to this one may be missing: dropped from the ring, or from
    /// before this process started.
    private(set) var forgottenThrough: Int64
    /// The zxid of the newest batch recorded.
    private(set) var latest: Int64

    init(capacity: Int, startingAt index: Int64) {
        self.capacity = max(1, capacity)
        forgottenThrough = index
        latest = index
        ring.reserveCapacity(self.capacity)
    }

    mutating func record(_ batch: ChangeBatch) {
        if batch.resync { forgottenThrough = max(forgottenThrough, batch.zxid) }
        for event in batch.events {
            if ring.count < capacity {
                ring.append(event)
            } else {
                forgottenThrough = ring[start].zxid
                ring[start] = event
                start = (start + 1) % capacity
            }
        }
        latest = max(latest, batch.zxid)
    }

    /// Whether a feed can resume after `cursor` without a gap.
    func canResume(after cursor: Int64) -> Bool { cursor >= forgottenThrough }

    /// Events after `cursor` that `matches` accepts, oldest first, at most `limit`.
    func events(after cursor: Int64, limit: Int, _ matches: (WatchEvent) -> Bool) -> [WatchEvent] {
        var result: [WatchEvent] = []
        for i in 0..<ring.count {
            let event = ring[(start + i) % ring.count]
            guard event.zxid > cursor, matches(event) else { continue }
            result.append(event)
            if result.count == limit { break }
        }
        return result
    }
}

/// What a feed watches: one node (its data and children), or a whole subtree.
/// What a principal's watch feed may carry: the events and snapshot nodes it may read. The
/// gateway's own records stay out for everyone but administrators (they are not filtered
/// at all).
struct FeedFilter: Sendable {
    let rules: PrincipalRules
    let internalRoots: [ZNodePath]

    func allows(_ path: ZNodePath) -> Bool {
        !internalRoots.contains { path.isWithin($0) } && rules.decide(.read, path: path.string).isAllowed
    }
}

struct FeedKey: Hashable {
    var path: ZNodePath
    var recursive: Bool

    func matches(_ event: WatchEvent) -> Bool {
        recursive ? (event.path == path || path.isAncestor(of: event.path)) : event.path == path
    }
}
