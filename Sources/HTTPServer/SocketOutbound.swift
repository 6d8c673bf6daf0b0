import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The bytes a non-blocking socket has not taken yet, for a connection of either protocol:
/// a write goes straight to the socket while nothing is queued, and what the socket refuses
/// waits here for EPOLLOUT.
struct SocketOutbound {
    private var pending: [UInt8] = []
    private var offset = 0

    var isEmpty: Bool { offset >= pending.count }
    /// Bytes waiting.
    var count: Int { pending.count - offset }

    enum WriteResult {
        /// All written.
        case written
        /// Some wait for EPOLLOUT; `started` when the queue was empty before (the caller then
        /// asks for EPOLLOUT and starts its write timer).
        case queued(started: Bool)
        /// The queue passed `limit`: the peer does not read.
        case overLimit
        /// The socket failed (reset, EPIPE).
        case failed
    }

    enum FlushResult {
        case drained
        case blocked
        case failed
    }

    /// Writes what the socket takes now (behind anything already queued) and queues the rest.
    mutating func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, limit: Int) -> WriteResult {
        guard !bytes.isEmpty else { return .written }
        if !isEmpty {
            pending.append(contentsOf: bytes)
            return count > limit ? .overLimit : .queued(started: false)
        }
        var written = 0
        while written < bytes.count {
            do {
                let r = try syscall("send") {
                    Glibc.send(fd, bytes.baseAddress! + written, bytes.count - written, Int32(MSG_NOSIGNAL))
                }
                guard case .done(let n) = r else { break }
                written += n
            } catch {
                return .failed
            }
        }
        guard written < bytes.count else { return .written }
        pending = Array(bytes[written...])
        offset = 0
        return .queued(started: true)
    }

    /// Writes queued bytes (on EPOLLOUT).
    mutating func flush(_ fd: Int32) -> FlushResult {
        while !isEmpty {
            do {
                let r = try pending.withUnsafeBytes { raw throws(SystemError) in
                    try syscall("send") {
                        Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    }
                }
                guard case .done(let n) = r else { return .blocked }
                offset += n
            } catch {
                return .failed
            }
        }
        pending = []
        offset = 0
        return .drained
    }

    /// Drops what is queued (the connection is closing).
    mutating func discard() {
        pending = []
        offset = 0
    }
}
