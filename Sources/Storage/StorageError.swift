#if canImport(Glibc)
import Glibc
#endif

/// Why a storage operation failed. Every case names the file or folder involved, so the
/// message can be logged as is.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another process holds the data directory's lock. `pid` is what that process wrote into
    /// `LOCK`, nil if it could not be read (e.g. it is just starting).
    case locked(path: String, pid: Int32?)
    /// The data directory path exists but is not a directory.
    case notADirectory(path: String)
    /// The data directory exists but this process may not create files in it.
    case notWritable(path: String)
    /// A system call failed.
    case io(call: String, path: String, errno: Int32)
    /// A log segment is damaged somewhere other than its tail, so it cannot be repaired by
    /// dropping an interrupted write. `nextValidRecordOffset` is where intact records resume.
    case corruptSegment(path: String, offset: Int, defect: RecordDefect, nextValidRecordOffset: Int?)
    /// Log segments do not continue each other: a segment starts at `found` where the one
    /// before it ended at `expected - 1` (a segment is missing, or a stray file was added).
    case sequenceGap(path: String, expected: UInt64, found: UInt64)
    /// A segment whose header names another first sequence than its file name does.
    case misnamedSegment(path: String, headerSequence: UInt64)
    /// A payload larger than `LogRecordCodec.maxPayloadSize`.
    case recordTooLarge(size: Int, limit: Int)
    /// Snapshots exist but none of them is intact; `problems` says what is wrong with each.
    case noUsableSnapshot(directory: String, problems: [String])
    /// The log does not continue the newest snapshot: it starts after the record following it
    /// (records are missing) or ends before it.
    case missingRecords(directory: String, snapshot: UInt64, logStart: UInt64, logNext: UInt64)
    /// The log was closed (or failed to start) before this append.
    case closed

    /// Whether this is a full disk or an exhausted disk quota (ENOSPC, EDQUOT): the failures
    /// that end once space is freed.
    public var isOutOfSpace: Bool {
        if case .io(_, _, let code) = self { return code == ENOSPC || code == EDQUOT }
        return false
    }

    public var description: String {
        switch self {
        case .locked(let path, let pid?):
            "another zkgate process (pid \(pid)) is using \(path); stop it or choose another --data-dir"
        case .locked(let path, nil):
            "another zkgate process is using \(path); stop it or choose another --data-dir"
        case .notADirectory(let path):
            "\(path) exists and is not a directory; choose another --data-dir"
        case .notWritable(let path):
            "\(path) is not writable by this user; fix its permissions or choose another --data-dir"
        case .io(let call, let path, let code):
            "\(call) \(path): \(String(cString: strerror(code))) (errno \(code))"
        case .corruptSegment(let path, let offset, let defect, let next):
            "\(path) is corrupt at offset \(offset) (\(defect))"
                + (next.map { ", with intact records again from offset \($0)" } ?? "")
                + "; refusing to drop acknowledged writes: restore the data directory from a backup or remove "
                + "the damaged records by hand"
        case .sequenceGap(let path, let expected, let found):
            "\(path) starts at sequence \(found) but the log before it ends at \(expected &- 1); a segment is "
                + "missing or does not belong to this log"
        case .misnamedSegment(let path, let sequence):
            "\(path) holds a segment starting at sequence \(sequence), not the one its name says; it was renamed "
                + "or copied by hand"
        case .recordTooLarge(let size, let limit):
            "a log record of \(size) bytes is larger than the limit of \(limit) bytes"
        case .noUsableSnapshot(let directory, let problems):
            "no intact snapshot in \(directory): \(problems.joined(separator: "; "))"
        case .missingRecords(let directory, let snapshot, let start, let next):
            "the newest snapshot in \(directory) covers the log up to sequence \(snapshot), but the log "
                + (start > snapshot + 1 ? "resumes only at \(start)" : "ends at \(next &- 1)")
                + "; records are missing: restore the data directory from a backup"
        case .closed:
            "the write-ahead log is closed"
        }
    }
}
