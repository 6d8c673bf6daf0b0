import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The folder that holds one zkgate's durable state, owned by one process at a time.
///
/// Opening it takes an exclusive `flock` on its `LOCK` file and writes our pid there, so a
/// second zkgate pointed at the same folder fails at start-up instead of interleaving writes
/// with the first. The kernel drops the lock when the descriptor is closed, including when the
/// process dies (even by SIGKILL), so a crash never leaves a stale lock behind: the pid in the
/// file is only a hint for the error message.
public final class DataDirectory: Sendable {
    /// The folder's path, as given.
    public let path: String
    /// The descriptor holding the lock (-1 once closed); closing it releases the lock.
    private let lockDescriptor: Atomic<Int32>

    /// Opens `path`, creating it (and missing parents) with mode 0700 when absent, and locks it.
    ///
    /// - Throws: `StorageError.locked` when another process holds it (naming that process's
    ///   pid), `.notADirectory` when the path is a file, `.notWritable` when we cannot create
    ///   files in it, `.io` for other failures (e.g. a parent that is a file: ENOTDIR).
    public init(path: String) throws(StorageError) {
        self.path = path
        try Self.createIfAbsent(path)
        guard access(path, W_OK | X_OK) == 0 else {
            if errno == EACCES || errno == EROFS || errno == EPERM { throw .notWritable(path: path) }
            throw .io(call: "access", path: path, errno: errno)
        }
        let lockPath = FileSystem.join(path, "LOCK")
        let fd = try FileSystem.open(lockPath, O_RDWR | O_CREAT)
        do throws(StorageError) {
            try Self.lock(fd, path: path, lockPath: lockPath)
            // Ours now: replace whatever pid a previous holder left.
            let text = Array("\(getpid())\n".utf8)
            try FileSystem.truncate(fd, to: 0, path: lockPath)
            try syscallOn(lockPath, "pwrite") { text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        } catch {
            FileSystem.close(fd)
            throw error
        }
        lockDescriptor = Atomic(fd)
    }

    deinit { close() }

    /// Releases the lock (also done on deinit; explicit because ARC may end an unused
    /// object's life earlier than its scope). Call it after closing everything stored here.
    /// Idempotent.
    public func close() {
        let fd = lockDescriptor.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { FileSystem.close(fd) }
    }

    /// The path of a file in this directory.
    public func file(_ name: String) -> String { FileSystem.join(path, name) }

    /// Makes the creation, renaming and removal of entries in the directory durable.
    ///
    /// - Throws: `StorageError.io` when the directory cannot be opened or fsync fails.
    public func sync() throws(StorageError) {
        try FileSystem.syncDirectory(path)
    }

    private static func lock(_ fd: Int32, path: String, lockPath: String) throws(StorageError) {
        var waitedMs = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            if err == EINTR { continue }
            guard err == EWOULDBLOCK else { throw .io(call: "flock", path: lockPath, errno: err) }
            let pid = holder(fd)
            // A lock this process just released can still look held: a child being spawned
            // holds copies of every descriptor until its exec closes them (O_CLOEXEC acts only
            // at exec). When the recorded holder is this process, wait a little instead.
            if pid == getpid() && waitedMs < 2_000 {
                usleep(5_000)
                waitedMs += 5
                continue
            }
            throw .locked(path: path, pid: pid)
        }
    }

    /// The pid the lock holder wrote, if it can be read (it may be mid-write).
    private static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        return Int32(text.split(separator: "\n").first ?? "")
    }

    /// mkdir -p with mode 0700: the state is the whole coordination data set, readable by its
    /// owner only. Each created folder's parent is fsynced so the new entry survives a crash.
    private static func createIfAbsent(_ path: String) throws(StorageError) {
        var existing: stat?
        do {
            existing = try FileSystem.status(path)
        } catch {
            // ENOTDIR: a component above is a file; walking up the parents names it.
            guard case .io(_, _, ENOTDIR) = error else { throw error }
        }
        if let existing {
            guard FileSystem.isDirectory(existing) else { throw .notADirectory(path: path) }
            return
        }
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let parent: String
        if let slash = trimmed.lastIndex(of: "/") {
            parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        } else {
            parent = "."
        }
        if parent != trimmed { try createIfAbsent(parent) }
        if mkdir(trimmed, 0o700) != 0 {
            let err = errno
            // Lost a race with another creator: fine if it made a directory.
            guard err == EEXIST, let st = try FileSystem.status(trimmed), FileSystem.isDirectory(st) else {
                if err == EEXIST { throw .notADirectory(path: trimmed) }
                throw .io(call: "mkdir", path: trimmed, errno: err)
            }
            return
        }
        try FileSystem.syncDirectory(parent)
    }
}
