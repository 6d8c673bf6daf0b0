#if canImport(Glibc)
import Glibc
#endif

/// Room kept on the data folder's disk for a full disk: a file of zeros, `RESERVE`, that the
/// owner deletes when a write fails for lack of space, so that deletes (which need log space
/// too) and a snapshot of the shrunken data can still be written, and that it writes again once
/// the disk has room. Recovery ignores the file.
extension DataDirectory {
    static let reserveName = "RESERVE"

    /// Bytes available to this process on the folder's filesystem (statvfs `f_bavail`).
    ///
    /// - Throws: `StorageError.io` when statvfs fails.
    public func availableBytes() throws(StorageError) -> Int {
        var st = statvfs()
        try syscallOn(path, "statvfs") { statvfs(path, &st) }
        return Int(st.f_bavail) * Int(st.f_frsize)
    }

    /// The size of the reserve file now (0 when there is none).
    public var reserveBytes: Int {
        var st = stat()
        return stat(file(Self.reserveName), &st) == 0 ? Int(st.st_size) : 0
    }

    /// Makes the reserve file `bytes` long, written and synced (a sparse file would reserve
    /// nothing). Nothing to do when it already is.
    ///
    /// - Throws: `StorageError.io` (e.g. ENOSPC); the partial file is removed then.
    public func createReserve(bytes: Int) throws(StorageError) {
        guard bytes > 0, reserveBytes != bytes else { return }
        let target = file(Self.reserveName)
        try FileSystem.writeSynced(target) { (fd) throws(StorageError) in
            let chunk = [UInt8](repeating: 0, count: min(bytes, 1 << 20))
            var written = 0
            while written < bytes {
                let part = written + chunk.count <= bytes ? chunk : Array(chunk.prefix(bytes - written))
                try FileSystem.writeAll(fd, part, path: target)
                written += part.count
            }
        }
        try sync()
    }

    /// Deletes the reserve file, giving its space back to the filesystem. Returns how many
    /// bytes it held.
    @discardableResult
    public func releaseReserve() -> Int {
        let size = reserveBytes
        guard unlink(file(Self.reserveName)) == 0 else { return 0 }
        try? sync()
        return size
    }
}
