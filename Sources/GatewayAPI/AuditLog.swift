import Coordination
import HTTPCore
import JSON
import Synchronization
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// `--audit-log`: one JSON line per write, per refusal (401, 403, 429), per device session
/// opened or closed through the API, and per policy reload: time, principal, remote address,
/// operation, method, path(s), status and zxid. A token is never written: only the principal
/// it named.
///
/// Lines are written whole, one `write(2)` each under a lock: audited requests are writes and
/// refusals, never cached reads, and a line must not be lost in a buffer when the process
/// dies.
public final class AuditLog: Sendable {
    private let fd: Int32
    private let ownsFD: Bool
    private let lock = Mutex(())

    /// - Parameter ownsFD: close `fd` when the log goes away.
    public init(fd: Int32, ownsFD: Bool) {
        self.fd = fd
        self.ownsFD = ownsFD
    }

    deinit { if ownsFD { close(fd) } }

    /// One event.
    struct Entry {
        var event: String
        var principal: String?
        var remote: String?
        var operation: String?
        var method: String?
        var paths: [String] = []
        var session: String?
        var status: Int?
        var zxid: Int64?
        var detail: String?
    }

    func record(_ entry: Entry) {
        var w = JSONWriter()
        w.beginObject()
        w.key("time"); w.string(Self.timestamp(WallClock.milliseconds()))
        w.key("event"); w.string(entry.event)
        if let principal = entry.principal { w.key("principal"); w.string(principal) }
        if let remote = entry.remote { w.key("remote"); w.string(remote) }
        if let operation = entry.operation { w.key("operation"); w.string(operation) }
        if let method = entry.method { w.key("method"); w.string(method) }
        if !entry.paths.isEmpty {
            w.key("paths")
            w.beginArray()
            for path in entry.paths { w.string(path) }
            w.endArray()
        }
        if let session = entry.session { w.key("session"); w.string(session) }
        if let status = entry.status { w.key("status"); w.number(Int64(status)) }
        if let zxid = entry.zxid { w.key("zxid"); w.number(zxid) }
        if let detail = entry.detail { w.key("detail"); w.string(detail) }
        w.endObject()
        var line = w.bytes
        line.append(UInt8(ascii: "\n"))
        lock.withLock { _ in
            var offset = 0
            while offset < line.count {
                let written = try? line.withUnsafeBytes { bytes in
                    try syscallBlocking("write") { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
                }
                guard let written, written > 0 else { return }
                offset += written
            }
        }
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = milliseconds % 1000
        let fraction = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}
