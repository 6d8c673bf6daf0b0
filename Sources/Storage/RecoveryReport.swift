/// What `WriteAheadLog.open` found and repaired, for the caller to log.
///
/// To check that a snapshot and the log fit together: the log must continue the snapshot, so
/// `firstSequence` (when there are records) must be at most the snapshot's sequence + 1, and
/// `nextSequence` at least that. Otherwise segments the snapshot did not cover are missing.
public struct RecoveryReport: Equatable, Sendable, CustomStringConvertible {
    /// A torn tail cut off the last segment: an append interrupted by a crash, never
    /// acknowledged.
    public struct Truncation: Equatable, Sendable {
        /// The segment's path.
        public var segment: String
        /// Where the intact prefix ended; the file's new length.
        public var offset: Int
        /// How many bytes were cut off.
        public var droppedBytes: Int
        /// What was wrong with the first dropped byte's record.
        public var defect: RecordDefect

        public init(segment: String, offset: Int, droppedBytes: Int, defect: RecordDefect) {
            self.segment = segment
            self.offset = offset
            self.droppedBytes = droppedBytes
            self.defect = defect
        }
    }

    /// Segment files read.
    public var segmentCount: Int
    /// Records recovered.
    public var recordCount: Int
    /// The sequence of the first recovered record, nil when there is none.
    public var firstSequence: UInt64?
    /// The sequence of the last recovered record, nil when there is none.
    public var lastSequence: UInt64?
    /// The sequence the next append will get.
    public var nextSequence: UInt64
    /// The torn tail cut off, if there was one.
    public var truncation: Truncation?
    /// Leftovers of interrupted operations that were deleted (a half-created segment).
    public var removedFiles: [String]

    public init(
        segmentCount: Int, recordCount: Int, firstSequence: UInt64?, lastSequence: UInt64?, nextSequence: UInt64,
        truncation: Truncation?, removedFiles: [String]
    ) {
        self.segmentCount = segmentCount
        self.recordCount = recordCount
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.nextSequence = nextSequence
        self.truncation = truncation
        self.removedFiles = removedFiles
    }

    /// True when the log was closed cleanly or crashed between appends: nothing was repaired.
    public var isClean: Bool { truncation == nil && removedFiles.isEmpty }

    public var description: String {
        var text = "recovered \(recordCount) log records"
        if let firstSequence, let lastSequence { text += " (sequences \(firstSequence)...\(lastSequence))" }
        text += " from \(segmentCount) segment\(segmentCount == 1 ? "" : "s"); next sequence \(nextSequence)"
        if let cut = truncation {
            text += "; dropped a torn tail of \(cut.droppedBytes) bytes at offset \(cut.offset) of \(cut.segment) "
                + "(\(cut.defect)), left by a crash during an unacknowledged append"
        }
        if !removedFiles.isEmpty { text += "; removed leftovers \(removedFiles.joined(separator: ", "))" }
        return text
    }
}
