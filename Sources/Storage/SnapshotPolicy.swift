/// When a log's owner should write the next snapshot: after `records` records, or once the log
/// since the last snapshot holds `threshold(liveBytes:)` bytes, whichever comes first.
///
/// The size threshold is twice the live data (what a snapshot of the state takes now), but at
/// least `minimumBytes` and at most `maximumBytes`, and never less than the live data itself:
///
/// - twice the live data keeps the folder within about three times it (one snapshot, a log of
///   up to twice its size; a second snapshot only while the next is written) while writing a
///   snapshot costs at most half as much as writing the log it replaces;
/// - the minimum keeps a tiny state from being snapshotted every few writes (a snapshot and the
///   segment it ends cost a handful of fsyncs);
/// - the maximum bounds the replay at start-up for mid-sized states;
/// - and a state larger than the maximum is snapshotted only once the log has grown by its own
///   size, so snapshots never cost more disk writes than the log (disk use then stays within
///   twice the live data, three times while a snapshot is written).
public struct SnapshotPolicy: Equatable, Sendable {
    public var records: Int
    public var maximumBytes: Int
    public var minimumBytes: Int

    public init(records: Int = 20_000, maximumBytes: Int = 64 << 20, minimumBytes: Int = 4 << 20) {
        self.records = max(1, records)
        self.maximumBytes = max(1, maximumBytes)
        self.minimumBytes = max(1, minimumBytes)
    }

    /// The log bytes since the last snapshot that call for the next one, for live data of
    /// `liveBytes`.
    public func threshold(liveBytes: Int) -> Int {
        max(liveBytes, min(maximumBytes, max(minimumBytes, 2 * liveBytes)))
    }

    /// Whether `records` records of `bytes` log bytes (framing included) since the last
    /// snapshot call for one, with live data of `liveBytes`.
    public func isDue(records: Int, bytes: Int, liveBytes: Int) -> Bool {
        records >= self.records || bytes >= threshold(liveBytes: liveBytes)
    }
}
