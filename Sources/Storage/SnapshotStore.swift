import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Snapshots of the caller's state in a `DataDirectory`, as files
/// `snapshot-<sequence, 20 digits>.snap`: the state after applying every log record up to
/// `sequence`.
///
/// A snapshot becomes visible atomically (written under a `.tmp` name, fsynced, renamed, the
/// directory fsynced), so a crash leaves either the complete new snapshot or none. The newest
/// `keep` snapshots (default 2) are kept, so a damaged newest one can fall back on the one
/// before. For that fallback to be usable, remove log segments only up to the oldest retained
/// snapshot's sequence (`retainedSequences().last`), not the newest's.
public final class SnapshotStore: Sendable {
    public let directory: DataDirectory
    /// How many snapshots are kept.
    public let keep: Int
    /// One write at a time: two writes of one sequence would share the temporary file.
    private let writing = Mutex(())

    static let prefix = "snapshot-"
    static let suffix = ".snap"
    static let temporarySuffix = ".snap.tmp"

    public init(directory: DataDirectory, keep: Int = 2) {
        precondition(keep >= 1, "keep at least one snapshot")
        self.directory = directory
        self.keep = keep
    }

    /// Writes a snapshot durably and atomically, then deletes snapshots beyond the newest
    /// `keep` (by sequence: a snapshot older than those kept is deleted at once) and any
    /// temporary file a crash left. Rewriting an existing sequence replaces it atomically.
    ///
    /// - Throws: `StorageError.io` (e.g. ENOSPC). A failed write leaves the previous snapshots
    ///   as they were.
    public func write(sequence: UInt64, bytes: [UInt8]) throws(StorageError) {
        try writing.withLock { (_) throws(StorageError) in
            let name = Self.prefix + FileSystem.twentyDigits(sequence)
            let temporary = directory.file(name + Self.temporarySuffix)
            // The data is on disk (fsynced) before the rename makes it the snapshot; otherwise
            // a crash could leave the new name on an empty or partial file.
            try FileSystem.writeSynced(temporary) { (fd) throws(StorageError) in
                try FileSystem.writeAll(fd, SnapshotFormat.header(sequence: sequence, bytes: bytes), path: temporary)
                try FileSystem.writeAll(fd, bytes, path: temporary)
            }
            try FileSystem.rename(temporary, to: directory.file(name + Self.suffix))
            try directory.sync()
            try prune()
        }
    }

    /// The newest intact snapshot, or nil when there is none at all. Damaged newer snapshots
    /// are skipped and listed in the result's `skipped`: log them. Temporary files are ignored.
    ///
    /// - Throws: `StorageError.noUsableSnapshot` when snapshots exist but none is intact (the
    ///   log may already be trimmed past what it could rebuild alone), `.io` when a file
    ///   cannot be read.
    public func loadLatest() throws(StorageError) -> LoadedSnapshot? {
        var skipped: [SkippedSnapshot] = []
        for sequence in try retainedSequences() {
            let path = directory.file(Self.prefix + FileSystem.twentyDigits(sequence) + Self.suffix)
            let file = try FileSystem.readAll(path)
            switch SnapshotFormat.decode(file) {
            case .success(let snapshot) where snapshot.sequence == sequence:
                return LoadedSnapshot(sequence: sequence, bytes: snapshot.bytes, path: path, skipped: skipped)
            case .success(let snapshot):
                skipped.append(SkippedSnapshot(path: path, defect: .sequenceMismatch(name: sequence, header: snapshot.sequence)))
            case .failure(let defect):
                skipped.append(SkippedSnapshot(path: path, defect: defect))
            }
        }
        guard skipped.isEmpty else {
            throw .noUsableSnapshot(directory: directory.path, problems: skipped.map { "\($0.path): \($0.defect)" })
        }
        return nil
    }

    /// The sequences of the snapshot files present (intact or not), newest first.
    ///
    /// - Throws: `StorageError.io` when the directory cannot be listed.
    public func retainedSequences() throws(StorageError) -> [UInt64] {
        try FileSystem.list(directory.path)
            .compactMap { FileSystem.sequence(in: $0, prefix: Self.prefix, suffix: Self.suffix) }
            .sorted(by: >)
    }

    private func prune() throws(StorageError) {
        var removed = false
        for sequence in try retainedSequences().dropFirst(keep) {
            try FileSystem.unlink(directory.file(Self.prefix + FileSystem.twentyDigits(sequence) + Self.suffix))
            removed = true
        }
        // Leftovers of writes interrupted by a crash (ours was renamed already).
        for name in try FileSystem.list(directory.path)
        where FileSystem.sequence(in: name, prefix: Self.prefix, suffix: Self.temporarySuffix) != nil {
            try FileSystem.unlink(directory.file(name))
            removed = true
        }
        if removed { try directory.sync() }
    }
}

/// A snapshot read back by `SnapshotStore.loadLatest`.
public struct LoadedSnapshot: Equatable, Sendable {
    /// The log sequence the snapshot includes.
    public var sequence: UInt64
    public var bytes: [UInt8]
    public var path: String
    /// Newer snapshots that were damaged and passed over, newest first.
    public var skipped: [SkippedSnapshot]

    public init(sequence: UInt64, bytes: [UInt8], path: String, skipped: [SkippedSnapshot]) {
        self.sequence = sequence
        self.bytes = bytes
        self.path = path
        self.skipped = skipped
    }
}

/// A damaged snapshot file that `loadLatest` passed over.
public struct SkippedSnapshot: Equatable, Sendable {
    public var path: String
    public var defect: SnapshotDefect

    public init(path: String, defect: SnapshotDefect) {
        self.path = path
        self.defect = defect
    }
}
