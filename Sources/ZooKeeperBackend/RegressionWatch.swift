import Coordination

/// The newest state of each node that this gateway has answered with (a read it returned, a
/// write it acknowledged), to notice when the ensemble later shows an older one: the sign of
/// committed transactions lost by the ensemble (ZooKeeper 3.8.0–3.8.4 could truncate them when
/// a member that had just rejoined won the next election; deploy/README.md).
///
/// A state is older only when the read that brought it is from a state of the tree that must
/// include the answer given before: its index (the zxid the member had applied) is at least the
/// mzxid answered. A member that is merely behind (a reconnect to a lagging follower) shows an
/// index below it, and is not a regression. From such a state a node is older when its mzxid or
/// its czxid (an earlier incarnation of the path) is below the one answered, or, still the same
/// node (same czxid), when its version is below the one answered: after a truncation, new writes
/// give the node a higher mzxid again but count its version on from the truncated one.
///
/// Sans-IO and cheap: a dictionary lookup per answer, under the lock the node cache already
/// takes. At most `capacity` paths are remembered; past that an arbitrary one is forgotten, so
/// memory stays bounded and a forgotten path is simply not checked until answered again.
struct RegressionWatch: Sendable {
    /// What the gateway answered for a node: enough to order two states of it.
    struct Answered: Hashable, Sendable {
        var czxid: Int64
        var mzxid: Int64
        var version: Int32

        init(czxid: Int64, mzxid: Int64, version: Int32) {
            self.czxid = czxid
            self.mzxid = mzxid
            self.version = version
        }

        init(_ stat: Stat) { self.init(czxid: stat.czxid, mzxid: stat.mzxid, version: stat.version) }
    }

    /// A node seen older than an answer already given for it.
    struct Regression: Hashable, Sendable {
        var path: ZNodePath
        var acknowledged: Answered
        var seen: Answered
        /// The zxid of the state the older node came from.
        var index: Int64
    }

    static let defaultCapacity = 50_000
    let capacity: Int
    private(set) var newest: [ZNodePath: Answered] = [:]

    init(capacity: Int = Self.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Records that the gateway answers with `stat` for `path`, read from (or written at) the
    /// state `index`, and returns the regression when that state is older than an answer given
    /// before. After a regression the node's newest answer becomes the one seen, so one loss is
    /// reported once per node, and later answers are checked against what the ensemble now has.
    mutating func observe(_ path: ZNodePath, _ stat: Stat, index: Int64) -> Regression? {
        let seen = Answered(stat)
        guard let known = newest[path] else {
            if newest.count >= capacity, let victim = newest.keys.first { newest.removeValue(forKey: victim) }
            newest[path] = seen
            return nil
        }
        // A state before the answered one (a member behind the one that answered): no verdict.
        guard index >= known.mzxid else { return nil }
        // Versions wrap at Int32.max in ZooKeeper; a negative one is compared by mzxid alone.
        let older = seen.mzxid < known.mzxid || seen.czxid < known.czxid
            || (seen.czxid == known.czxid && seen.version >= 0 && seen.version < known.version)
        if older {
            newest[path] = seen
            return Regression(path: path, acknowledged: known, seen: seen, index: index)
        }
        if seen.mzxid > known.mzxid { newest[path] = seen }
        return nil
    }
}
