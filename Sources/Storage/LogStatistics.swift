import Synchronization

/// Counters of the log's writer, for metrics and for measuring group commit: with many
/// concurrent appenders `records / syncs` grows above 1, which is the point of group commit.
public struct LogStatistics: Equatable, Sendable {
    /// Batches written (each is one write pass and one fdatasync).
    public var batches: UInt64
    /// Records written and acknowledged.
    public var records: UInt64
    /// fdatasync calls on segments.
    public var syncs: UInt64
    /// write(2) calls (more than `batches` only when the kernel takes a batch in pieces).
    public var writeCalls: UInt64
    /// Bytes written to segments, framing included.
    public var bytesWritten: UInt64
    /// Segments started after the first because the active one reached the size limit.
    public var rotations: UInt64
    /// Segment starts that failed (the records went on in the current segment).
    public var failedRotations: UInt64

    /// Records acknowledged per fdatasync.
    public var recordsPerSync: Double { syncs == 0 ? 0 : Double(records) / Double(syncs) }
}

/// The live counters behind `LogStatistics`: written by the writer thread only, read from
/// anywhere, relaxed (they are for observation, nothing synchronises on them).
final class LogCounters: Sendable {
    let batches = Atomic<UInt64>(0)
    let records = Atomic<UInt64>(0)
    let syncs = Atomic<UInt64>(0)
    let writeCalls = Atomic<UInt64>(0)
    let bytesWritten = Atomic<UInt64>(0)
    let rotations = Atomic<UInt64>(0)
    let failedRotations = Atomic<UInt64>(0)

    var snapshot: LogStatistics {
        LogStatistics(
            batches: batches.load(ordering: .relaxed), records: records.load(ordering: .relaxed),
            syncs: syncs.load(ordering: .relaxed), writeCalls: writeCalls.load(ordering: .relaxed),
            bytesWritten: bytesWritten.load(ordering: .relaxed), rotations: rotations.load(ordering: .relaxed),
            failedRotations: failedRotations.load(ordering: .relaxed))
    }
}
