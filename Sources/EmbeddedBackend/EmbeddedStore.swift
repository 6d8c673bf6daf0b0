import Coordination
import Dispatch
import Logging
import Storage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The default backend: ZooKeeper's data model in memory, made durable by a write-ahead log
/// with group commit and periodic snapshots in a data folder.
///
/// Two trees: `head` has every accepted transaction and validates new ones (versions,
/// sequence numbers), while `durable` has only transactions whose log record is on disk and
/// answers every read. A write is acknowledged, and its changes published, only once durable,
/// so no reader or watcher ever sees a write that a crash could take back. The price is the
/// tree twice in memory.
public final class EmbeddedStore: CoordinationBackend, @unchecked Sendable {
    public struct Configuration: Sendable {
        public var dataDirectory: String
        /// A snapshot is written after this many log records at the latest.
        public var snapshotEvery: Int
        /// A snapshot is written once the log since the last one holds this many bytes, or
        /// sooner, once it holds twice the live data (``DataTree/storedBytes``) but at least
        /// `snapshotMinimumBytes`; and never before it holds the live data's size, so writing
        /// snapshots never costs more than writing the log. See `SnapshotPolicy`.
        public var snapshotBytes: Int
        /// The log bytes below which no size trigger fires: a tiny tree is not snapshotted
        /// every few writes.
        public var snapshotMinimumBytes: Int
        /// The largest ``DataTree/storedBytes`` a write may grow the store to; 0 for no quota.
        public var quotaBytes: Int
        /// The size of the `RESERVE` file kept in the data folder and deleted when the disk is
        /// full, so that deletes and a snapshot of the shrunken data can still be written.
        public var reserveBytes: Int
        /// How often expired sessions, containers and TTL nodes are swept (ms).
        public var sweepIntervalMs: Int

        public init(
            dataDirectory: String, snapshotEvery: Int = 20_000, snapshotBytes: Int = 64 << 20,
            snapshotMinimumBytes: Int = 4 << 20, quotaBytes: Int = 2 << 30, reserveBytes: Int = 1 << 20,
            sweepIntervalMs: Int = 250
        ) {
            self.dataDirectory = dataDirectory
            self.snapshotEvery = max(1, snapshotEvery)
            self.snapshotBytes = max(1, snapshotBytes)
            self.snapshotMinimumBytes = max(1, snapshotMinimumBytes)
            self.quotaBytes = max(0, quotaBytes)
            self.reserveBytes = max(0, reserveBytes)
            self.sweepIntervalMs = max(10, sweepIntervalMs)
        }

        /// When snapshots are written (see `SnapshotPolicy`).
        public var snapshotPolicy: SnapshotPolicy {
            SnapshotPolicy(records: snapshotEvery, maximumBytes: snapshotBytes, minimumBytes: snapshotMinimumBytes)
        }
    }

    struct Pending {
        let zxid: Int64
        let time: Int64
        let transaction: Transaction
        let done: (@Sendable (Result<TransactionOutcome, MultiFailure>) -> Void)?
        /// The record ends its log segment and the durable tree is snapshotted after it.
        let snapshotPoint: Bool
    }

    struct State {
        var head: DataTree
        var durable: DataTree
        var pending: [Pending] = []
        /// Monotonic deadlines (ns) of live sessions; renewals only move these.
        var deadlines: [Int64: UInt64] = [:]
        /// A log failure that ends all writes until a restart (not a full disk).
        var failure: StorageError?
        /// The disk was full: writes that grow the store are refused until `pollSpace` finds
        /// room again and has re-made the reserve.
        var storageFull = false
        /// The log is suspended after a full disk: `head` may hold transactions that were never
        /// logged, so once nothing is pending it is reset to `durable` and the log resumed.
        var suspended = false
        /// Log records and bytes accepted since the last snapshot point.
        var recordsSinceSnapshot = 0
        var bytesSinceSnapshot = 0
        /// A snapshot point was chosen and its snapshot is not written yet.
        var snapshotting = false
        /// Whether container or TTL nodes may exist (they need periodic sweeps).
        var expirables = false
        var sink: (@Sendable (ChangeBatch) -> Void)?
    }

    let configuration: Configuration
    let logger: Logger
    let directory: DataDirectory
    let log: WriteAheadLog
    let snapshots: SnapshotStore
    let state: Mutex<State>
    /// Held from accepting a transaction until its record is queued in the log, so records are
    /// logged in zxid order.
    let appendOrder = Mutex<Void>(())
    let sweeper: any DispatchSourceTimer
    let queue = DispatchQueue(label: "zkgate.embedded.maintenance")

    /// Opens (or creates) the store in `configuration.dataDirectory`: takes the folder's lock,
    /// loads the newest valid snapshot and replays the log after it.
    ///
    /// - Throws: `StorageError.locked` when another process uses the folder; corruption and
    ///   I/O errors from the log and snapshots; `CoordinationError` for a record that does not
    ///   replay (a log from an incompatible version).
    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        directory = try DataDirectory(path: configuration.dataDirectory)
        // One snapshot: segments are removed up to the newest, so an older one could not be
        // replayed from anyway. A damaged snapshot stops the start (no acknowledged write is
        // dropped silently); the previous one is deleted only once the new one is durable.
        snapshots = SnapshotStore(directory: directory, keep: 1)
        var tree = DataTree()
        var snapshotSequence: UInt64 = 0
        if let loaded = try snapshots.loadLatest() {
            for skipped in loaded.skipped {
                logger.warning("skipped a damaged snapshot", metadata: ["path": "\(skipped.path)", "defect": "\(skipped.defect)"])
            }
            tree = try DataTree(snapshot: loaded.bytes)
            snapshotSequence = loaded.sequence
        }
        let (log, records, report) = try WriteAheadLog.open(directory: directory)
        self.log = log
        if let truncation = report.truncation {
            logger.warning("truncated a torn log tail left by a crash", metadata: [
                "segment": "\(truncation.segment)", "offset": "\(truncation.offset)",
                "droppedBytes": "\(truncation.droppedBytes)", "defect": "\(truncation.defect)",
            ])
        }
        // The log must continue the snapshot: a gap would drop acknowledged writes, and a log
        // that ends before it would number new records as if the snapshot held them.
        let logStart = records.first?.sequence ?? log.nextSequence
        guard logStart <= snapshotSequence + 1, log.nextSequence > snapshotSequence else {
            throw StorageError.missingRecords(
                directory: configuration.dataDirectory, snapshot: snapshotSequence,
                logStart: logStart, logNext: log.nextSequence)
        }
        var replayed = 0
        var replayedBytes = 0
        for record in records where record.sequence > snapshotSequence {
            let entry = try LogEntry(decoding: record.payload)
            let outcome = tree.apply(entry.transaction, zxid: entry.zxid, time: entry.time)
            if case .failure(let failure) = outcome.result {
                throw CoordinationError.badArguments("log record \(record.sequence) does not replay: \(failure.error)")
            }
            replayed += 1
            replayedBytes += LogRecordCodec.recordHeaderSize + record.payload.count
        }
        var initial = State(head: tree, durable: tree)
        // Leases restart on recovery, as ZooKeeper's do after a leader change: the TTL is a
        // lower bound, never shortened by downtime.
        let now = Self.monotonicNanoseconds()
        for (id, timeout) in tree.sessions { initial.deadlines[id] = now + UInt64(timeout) * 1_000_000 }
        initial.recordsSinceSnapshot = replayed
        initial.bytesSinceSnapshot = replayedBytes
        // Conservative after recovery: any node besides the root may be a container or TTL node.
        initial.expirables = tree.nodeCount > 1
        state = Mutex(initial)
        sweeper = DispatchSource.makeTimerSource(queue: queue)
        logger.info("embedded store open", metadata: [
            "dataDirectory": "\(configuration.dataDirectory)", "nodes": "\(tree.nodeCount)",
            "sessions": "\(tree.sessions.count)", "zxid": "\(tree.lastZxid)", "replayedRecords": "\(replayed)",
        ])
        sweeper.setEventHandler { [weak self] in self?.sweep() }
        sweeper.schedule(deadline: .distantFuture)
        sweeper.resume()
        armSweep()
        do {
            try directory.createReserve(bytes: configuration.reserveBytes)
        } catch {
            // Started on a full disk: serve reads and deletes, and wait for room.
            logger.warning("the data folder's disk is full; writes that grow the store are refused until there is room",
                metadata: ["error": "\(error)"])
            enterStorageFull()
        }
    }

    public var isReady: Bool { state.withLock { $0.failure == nil } }

    /// The durable index now: every later change reaches the sink.
    public var feedStartIndex: Int64 { readNow(.root, children: false)?.index ?? 0 }

    public func setChangeSink(_ sink: @escaping @Sendable (ChangeBatch) -> Void) {
        state.withLock { $0.sink = sink }
    }

    public func shutdown() {
        sweeper.cancel()
        log.close()
        directory.close()
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
