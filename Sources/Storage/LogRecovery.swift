#if canImport(Glibc)
import Glibc
#endif

/// Reads a log directory at start-up: every segment in order, checked for continuity, with
/// the torn tail a crash may leave in the last segment cut off. Returns the records and an
/// open descriptor on the segment where appends continue.
enum LogRecovery {
    struct Outcome {
        var records: [LogRecord]
        var segments: [SegmentFile]
        var activeDescriptor: Int32
        var activeSize: Int
        var nextSequence: UInt64
        var report: RecoveryReport
    }

    /// - Throws: `StorageError.corruptSegment` for damage other than a torn tail of the last
    ///   segment, `.sequenceGap` when segments do not continue each other, `.misnamedSegment`,
    ///   and `.io`.
    static func recover(_ directory: DataDirectory) throws(StorageError) -> Outcome {
        var removed: [String] = []
        var segments: [SegmentFile] = []
        for name in try FileSystem.list(directory.path) {
            if SegmentFile.isTemporary(name) {
                // A segment whose creation was interrupted; it never held a record.
                try FileSystem.unlink(directory.file(name))
                removed.append(directory.file(name))
            } else if let segment = SegmentFile(name: name) {
                segments.append(segment)
            }
        }
        segments.sort { $0.firstSequence < $1.firstSequence }

        var records: [LogRecord] = []
        var kept: [SegmentFile] = []
        var expected: UInt64?
        var truncation: RecoveryReport.Truncation?
        var lastValidLength = 0
        for (index, segment) in segments.enumerated() {
            let path = directory.file(segment.name)
            let isLast = index == segments.count - 1
            let bytes = try FileSystem.readAll(path)
            let decoded = LogRecordCodec.decodeSegment(bytes)
            switch decoded.end {
            case .clean:
                break
            case .corruption(let offset, let defect, let next):
                throw .corruptSegment(path: path, offset: offset, defect: defect, nextValidRecordOffset: next)
            case .tornTail(let offset, let defect):
                // Appends go to the last segment only, and a new segment is created only after
                // the previous one's last batch was fsynced: a torn segment with another after
                // it is damage, not an interrupted append.
                guard isLast else {
                    throw .corruptSegment(path: path, offset: offset, defect: defect, nextValidRecordOffset: nil)
                }
                truncation = .init(segment: path, offset: offset, droppedBytes: bytes.count - offset, defect: defect)
            }
            guard let first = decoded.firstSequence else {
                // Only a torn header gets here (a damaged one is corruption above). It held no
                // record; drop it, and let appends continue from the sequence in its name.
                try FileSystem.unlink(path)
                try directory.sync()
                removed.append(path)
                expected = expected ?? segment.firstSequence
                continue
            }
            guard first == segment.firstSequence else { throw .misnamedSegment(path: path, headerSequence: first) }
            if let expected, first != expected { throw .sequenceGap(path: path, expected: expected, found: first) }
            records.append(contentsOf: decoded.records)
            expected = decoded.nextSequence
            kept.append(segment)
            lastValidLength = decoded.validLength
        }

        let nextSequence = expected ?? 1
        let descriptor: Int32
        let activeSize: Int
        if let active = kept.last, active == segments.last {
            let path = directory.file(active.name)
            descriptor = try FileSystem.open(path, O_WRONLY | O_APPEND)
            do throws(StorageError) {
                if truncation != nil {
                    try FileSystem.truncate(descriptor, to: lastValidLength, path: path)
                    try FileSystem.fsync(descriptor, path: path)
                }
            } catch {
                FileSystem.close(descriptor)
                throw error
            }
            activeSize = lastValidLength
        } else {
            // An empty directory, or the last segment was a torn header we deleted.
            descriptor = try SegmentFile.create(firstSequence: nextSequence, in: directory)
            kept.append(SegmentFile(firstSequence: nextSequence))
            activeSize = LogRecordCodec.segmentHeaderSize
        }

        let report = RecoveryReport(
            segmentCount: segments.count, recordCount: records.count,
            firstSequence: records.first?.sequence, lastSequence: records.last?.sequence,
            nextSequence: nextSequence, truncation: truncation, removedFiles: removed)
        return Outcome(
            records: records, segments: kept, activeDescriptor: descriptor, activeSize: activeSize,
            nextSequence: nextSequence, report: report)
    }
}
