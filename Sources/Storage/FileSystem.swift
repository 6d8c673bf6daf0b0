#if canImport(Glibc)
import Glibc
#endif

/// The file operations Storage needs, as thin wrappers that report failures as
/// `StorageError.io` with the path. Every descriptor is opened with O_CLOEXEC: a child process
/// that inherited the data directory's lock descriptor would keep the lock after we exit.
enum FileSystem {
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// open(2) with O_CLOEXEC added.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws(StorageError) -> Int32 {
        try syscallOn(path, "open") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// close(2), ignoring the result: on Linux the descriptor is gone even when close fails,
    /// and durability never depends on close (we fsync before).
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// The whole content of a regular file. Files are read while we hold the directory lock,
    /// so nobody else is writing them.
    static func readAll(_ path: String) throws(StorageError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        try syscallOn(path, "fstat") { fstat(fd, &st) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = try syscallOn(path, "pread") {
                bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(filled)) }
            }
            if n == 0 { break }
            filled += n
        }
        if filled < bytes.count { bytes.removeLast(bytes.count - filled) }
        return bytes
    }

    /// Writes all of `bytes` at the descriptor's offset, looping over short writes; returns
    /// how many write calls it took.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StorageError) -> Int {
        var done = 0
        var calls = 0
        while done < bytes.count {
            let n = try syscallOn(path, "write") {
                bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            }
            calls += 1
            done += n
        }
        return calls
    }

    /// Creates (or truncates) `path`, lets `body` write it, fsyncs and closes it. On a failure
    /// the partial file is closed and removed, so a full disk leaves nothing behind.
    static func writeSynced(_ path: String, _ body: (Int32) throws(StorageError) -> Void) throws(StorageError) {
        let fd = try open(path, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        do throws(StorageError) {
            try body(fd)
            try fsync(fd, path: path)
        } catch {
            _ = Glibc.unlink(path)
            throw error
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(StorageError) {
        try syscallOn(path, "fsync") { Glibc.fsync(fd) }
    }

    static func fdatasync(_ fd: Int32, path: String) throws(StorageError) {
        try syscallOn(path, "fdatasync") { Glibc.fdatasync(fd) }
    }

    /// fsyncs a directory, which makes the creation, renaming or removal of its entries
    /// durable (a file's own fsync does not cover its name).
    static func syncDirectory(_ path: String) throws(StorageError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// The names in a directory, without "." and "..", in no particular order.
    static func list(_ path: String) throws(StorageError) -> [String] {
        guard let dir = opendir(path) else { throw .io(call: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw .io(call: "readdir", path: path, errno: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    static func unlink(_ path: String) throws(StorageError) {
        try syscallOn(path, "unlink") { Glibc.unlink(path) }
    }

    static func rename(_ from: String, to: String) throws(StorageError) {
        try syscallOn(from, "rename") { Glibc.rename(from, to) }
    }

    static func truncate(_ fd: Int32, to length: Int, path: String) throws(StorageError) {
        try syscallOn(path, "ftruncate") { ftruncate(fd, off_t(length)) }
    }

    /// stat(2) of `path`, or nil when it does not exist.
    static func status(_ path: String) throws(StorageError) -> stat? {
        var st = stat()
        if stat(path, &st) == 0 { return st }
        if errno == ENOENT { return nil }
        throw .io(call: "stat", path: path, errno: errno)
    }

    static func isDirectory(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFDIR }

    /// A sequence number as exactly 20 decimal digits (UInt64.max has 20), so file names sort
    /// in sequence order.
    static func twentyDigits(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 20 - digits.count) + digits
    }

    /// The sequence in `name` if it is `prefix` + 20 digits + `suffix`.
    static func sequence(in name: String, prefix: String, suffix: String) -> UInt64? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix),
            name.utf8.count == prefix.utf8.count + 20 + suffix.utf8.count
        else { return nil }
        let digits = name.utf8.dropFirst(prefix.utf8.count).prefix(20)
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }
}
