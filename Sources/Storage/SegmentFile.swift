#if canImport(Glibc)
import Glibc
#endif

/// One segment of the log on disk: `wal-<first sequence, 20 digits>.log`. The name alone
/// orders the segments and tells which records a segment can hold (from its first sequence to
/// the next segment's first, exclusive) without reading it.
struct SegmentFile: Equatable, Sendable {
    static let prefix = "wal-"
    static let suffix = ".log"
    static let temporarySuffix = ".log.tmp"

    var firstSequence: UInt64

    var name: String { Self.prefix + FileSystem.twentyDigits(firstSequence) + Self.suffix }

    /// The segment a file name denotes, or nil for other files.
    init?(name: String) {
        guard let sequence = FileSystem.sequence(in: name, prefix: Self.prefix, suffix: Self.suffix) else { return nil }
        firstSequence = sequence
    }

    init(firstSequence: UInt64) { self.firstSequence = firstSequence }

    /// Whether `name` is a segment that was being created when the process stopped.
    static func isTemporary(_ name: String) -> Bool {
        FileSystem.sequence(in: name, prefix: prefix, suffix: temporarySuffix) != nil
    }

    /// Creates the segment with its header and returns a descriptor open for appending.
    ///
    /// The header is written and fsynced under a temporary name and then linked to its real
    /// name (which must not exist), so a
    /// segment file either has its whole header or does not exist: a crash mid-creation leaves
    /// only a `.tmp` that recovery deletes. The directory is fsynced so the name is durable
    /// before any record that depends on it is acknowledged.
    static func create(firstSequence: UInt64, in directory: DataDirectory) throws(StorageError) -> Int32 {
        let segment = SegmentFile(firstSequence: firstSequence)
        let path = directory.file(segment.name)
        let temporary = directory.file(prefix + FileSystem.twentyDigits(firstSequence) + temporarySuffix)
        let fd = try FileSystem.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND)
        var linked = false
        do throws(StorageError) {
            var header: [UInt8] = []
            LogRecordCodec.appendSegmentHeader(firstSequence: firstSequence, to: &header)
            try FileSystem.writeAll(fd, header, path: temporary)
            try FileSystem.fsync(fd, path: temporary)
            // link, not rename: rename would silently replace an existing segment (and every
            // acknowledged record in it); link fails with EEXIST instead.
            try syscallOn(path, "link") { Glibc.link(temporary, path) }
            linked = true
            try FileSystem.unlink(temporary)
            try directory.sync()
        } catch {
            FileSystem.close(fd)
            // A failed rotation (a full disk) leaves nothing behind, so it can be retried and the
            // current segment stays the last one. The new name held no record yet.
            _ = Glibc.unlink(temporary)
            if linked {
                // Durable too: a crash must not bring the empty new name back after later
                // records went to the current segment.
                _ = Glibc.unlink(path)
                _ = try? directory.sync()
            }
            throw error
        }
        return fd
    }
}
