import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted on a fresh folder, for tests of a full disk: a real filesystem that
/// answers ENOSPC once its few megabytes are used. Mounting needs root (CAP_SYS_ADMIN), which
/// CI and the development containers have; tests use `Tmpfs.isPermitted` to skip elsewhere.
/// Unmounted (lazily, so a descriptor still open cannot keep it) and removed by `unmount()`,
/// also run on deinit.
public final class Tmpfs: Sendable {
    public let path: String
    public let sizeBytes: Int

    public enum Failure: Error, CustomStringConvertible {
        case mount(errno: Int32)
        public var description: String {
            switch self {
            case .mount(let code): "mount -t tmpfs: \(String(cString: strerror(code)))"
            }
        }
    }

    public init(sizeBytes: Int) throws {
        var template = Array("/tmp/zkgate-tmpfs-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure.mount(errno: errno)
        }
        path = String(cString: made)
        self.sizeBytes = sizeBytes
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(sizeBytes),mode=0700") == 0 else {
            let code = errno
            rmdir(path)
            throw Failure.mount(errno: code)
        }
    }

    deinit { unmount() }

    /// Whether this process may mount a tmpfs (tried once, with a tiny one).
    public static let isPermitted: Bool = {
        guard let probe = try? Tmpfs(sizeBytes: 64 << 10) else { return false }
        probe.unmount()
        return true
    }()

    /// Unmounts and removes the folder. Idempotent.
    public func unmount() {
        if umount2(path, Int32(MNT_DETACH)) == 0 || errno == EINVAL {
            rmdir(path)
        }
    }

    /// The path of an entry on the filesystem.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Bytes still available on the filesystem.
    public var availableBytes: Int {
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return -1 }
        return Int(st.f_bavail) * Int(st.f_frsize)
    }

    /// Writes a file of `bytes` zeros (a filler that takes space a test frees later); returns
    /// how many bytes fitted.
    @discardableResult
    public func fill(_ name: String, bytes: Int) -> Int {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 64 << 10)
        var written = 0
        while written < bytes {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, min($0.count, bytes - written)) }
            if n <= 0 { break }
            written += n
        }
        return written
    }

    /// Removes a file.
    public func remove(_ name: String) { unlink(file(name)) }
}
