/// A durable, append-only log of opaque records, numbered by consecutive sequences from 1.
///
/// Records live in segment files `wal-<first sequence, 20 digits>.log` in a `DataDirectory`.
/// `append` may be called from any thread; a dedicated writer thread batches whatever is
/// queued into one write and one fdatasync (group commit) and then runs the completions in
/// sequence order. A successful completion means the record is on disk.
///
/// After a write or fdatasync error the log stops acknowledging: that append and every later
/// one fails with the same error, because after a failed fdatasync even earlier unsynced
/// pages may be gone. Restart the process (recovery repairs the tail) to continue.
///
/// A full disk (ENOSPC, EDQUOT) is the exception: the failed records are cut off the file
/// again (ftruncate to the end of the last synced record, fsync), so the file holds exactly
/// the acknowledged records, and the log is suspended: every append fails with the error
/// until `resume()`, which the owner calls once nothing it appended is in flight (it may have
/// built later records on the failed ones). If the cut fails too, the failure is final.
public final class WriteAheadLog: Sendable {
    public struct Configuration: Sendable {
        /// The size at which appends move to a new segment (a soft limit: the batch that
        /// crosses it is written whole). Small segments let `removeSegments` free space
        /// sooner; large ones mean fewer files.
        public var segmentSize: Int

        public init(segmentSize: Int = 64 << 20) {
            precondition(segmentSize > 0, "segment size must be positive")
            self.segmentSize = segmentSize
        }
    }

    /// The directory holding the segments; the log keeps it (and its lock) open.
    public let directory: DataDirectory
    private let writer: LogWriter

    private init(directory: DataDirectory, writer: LogWriter) {
        self.directory = directory
        self.writer = writer
    }

    deinit { writer.close() }

    /// Opens the log in `directory`, creating it when there is none, and returns every record
    /// in it with a report of what recovery found.
    ///
    /// Segments are read in order and must continue each other. A torn tail in the last
    /// segment (the unacknowledged remains of an append interrupted by a crash) is cut off with
    /// ftruncate and fsync, and described in `report.truncation`: log it.
    ///
    /// - Throws: `StorageError.corruptSegment` when a segment is damaged anywhere but at the
    ///   end of the last one (acknowledged writes would be lost by repairing it),
    ///   `.sequenceGap` when a segment is missing between others, `.misnamedSegment`, and `.io`.
    public static func open(
        directory: DataDirectory, configuration: Configuration = Configuration()
    ) throws(StorageError) -> (log: WriteAheadLog, recovered: [LogRecord], report: RecoveryReport) {
        let outcome = try LogRecovery.recover(directory)
        let writer = try LogWriter(directory: directory, segmentSize: configuration.segmentSize, recovered: outcome)
        return (WriteAheadLog(directory: directory, writer: writer), outcome.records, outcome.report)
    }

    /// Queues `payload` for writing. `completion` gets the record's sequence once it is on disk
    /// (after fdatasync), or the error that prevented it.
    ///
    /// Completions run on the writer thread, in sequence order; keep them short (hand real work
    /// to another thread), since the next batch waits for them. A payload larger than
    /// `LogRecordCodec.maxPayloadSize` (`.recordTooLarge`) or an append after `close` (`.closed`)
    /// fails at once, with the completion run on the calling thread before `append` returns.
    /// Appends from one thread get increasing sequences in the order they were made.
    ///
    /// With `endsSegment`, the record is the last of its segment: once it is synced a new
    /// segment is started (before its completion runs), so `removeSegments(coveredBy:)` with
    /// its sequence deletes every segment up to and including it. Put it where a snapshot will
    /// be taken. If the new segment cannot be created (a full disk), later records go on in the
    /// current one and the rotation is retried before the next write.
    public func append(
        _ payload: [UInt8], endsSegment: Bool = false,
        completion: @escaping @Sendable (Result<UInt64, StorageError>) -> Void
    ) {
        writer.append(payload, endsSegment: endsSegment, completion: completion)
    }

    /// Lifts the suspension after a full disk: appends are accepted again, numbered on from
    /// `durableSequence`. Call it only when none of your appends is in flight. Returns whether
    /// the log accepts appends now: true also when it was not failed, false when its failure is
    /// final (another error, or the failed records could not be cut off).
    public func resume() -> Bool { writer.resume() }

    /// The sequence the next append will get.
    public var nextSequence: UInt64 { writer.state.next }

    /// The highest sequence known to be on disk (0 when the log is empty).
    public var durableSequence: UInt64 { writer.state.durable }

    /// The error that stopped the log, if any: once set, every append fails with it.
    public var failure: StorageError? { writer.state.failure }

    /// The paths of the segment files, oldest first; the last one receives appends.
    public var segmentPaths: [String] { writer.state.segments.map { directory.file($0.name) } }

    /// The writer's counters (batches, records, fdatasyncs, ...).
    public var statistics: LogStatistics { writer.counters.snapshot }

    /// Deletes whole segments whose records all have sequences <= `sequence`, typically once a
    /// snapshot covers them. The segment receiving appends is never deleted; a segment holding
    /// any record above `sequence` is kept with everything after it.
    ///
    /// - Returns: how many segment files were deleted.
    /// - Throws: `StorageError.io` when unlinking or syncing the directory fails (segments
    ///   deleted before the failure stay deleted).
    @discardableResult
    public func removeSegments(coveredBy sequence: UInt64) throws(StorageError) -> Int {
        try writer.removeSegments(coveredBy: sequence)
    }

    /// Writes and syncs everything already queued (running its completions), then stops the
    /// writer thread. Later appends fail with `.closed`. Idempotent; also done on deinit.
    public func close() {
        writer.close()
    }
}
