import ZooKeeperClient

/// The ZooKeeper sessions this gateway holds (its own, and those it adopted from replicas
/// that died) and what it last saw of the other replicas' records.
///
/// Liveness is judged without comparing clocks across machines: a peer is presumed dead when
/// its record has not changed during `staleRounds` of this gateway's own successful
/// heartbeats. While this gateway cannot write either (an election, a partition), no round
/// counts, so a pause of the whole ensemble never looks like a dead peer.
struct ReplicaTable: Sendable {
    struct Held: Sendable {
        /// nil for the gateway's own session (the store's client).
        var client: ZooKeeperClient?
        var record: ReplicaRecord
        /// The record's version as last written here: a heartbeat that finds another means
        /// someone else wrote it (an adopter).
        var version: Int32
    }

    struct Peer: Sendable {
        var version: Int32
        /// This gateway's successful heartbeat rounds since the peer's record last changed.
        var quietRounds: Int
    }

    /// Rounds of 250 ms: a peer silent for 1.25 s of this gateway's working time is adopted.
    static let staleRounds = 5

    var held: [Int64: Held] = [:]
    var peers: [Int64: Peer] = [:]
    /// Device sessions with a marker under this gateway's own replica record.
    var marked: Set<Int64> = []
    var adoptions = 0
    /// Times this gateway took its own session back from a replica that had adopted it while
    /// this one was cut off.
    var takenBack = 0
    /// When this gateway's own record was last written (the store's milliseconds): its
    /// session is in doubt once that is older than `doubtAfterMs`.
    var lastOwnBeatMs: Int64 = 0

    /// A gateway that has not written its record for this long may be adopted soon (peers wait
    /// `staleRounds` of their own rounds, 1.25 s): from then on it vouches for nothing.
    static let doubtAfterMs: Int64 = 750

    /// Notes a peer's record version after a round; returns whether it is now presumed dead.
    mutating func observe(peer id: Int64, version: Int32, counted: Bool) -> Bool {
        guard var peer = peers[id], peer.version == version else {
            peers[id] = Peer(version: version, quietRounds: 0)
            return false
        }
        if counted { peer.quietRounds += 1 }
        peers[id] = peer
        return peer.quietRounds >= Self.staleRounds
    }
}
