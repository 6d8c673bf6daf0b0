/// Why a client operation failed.
///
/// `connectionLoss` is the retryable one: the request was in flight (or still queued) when the
/// connection went, so a write's outcome is unknown. The client never replays it on its own;
/// the caller decides (and must not blindly retry a sequential create).
public enum ZooKeeperError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server answered with this error code (`.noNode`, `.badVersion`, …).
    case server(ErrorCode)
    /// The connection was lost, or never came up in time, with the request unanswered.
    case connectionLoss
    /// The server expired the session: its ephemerals and one-shot watches are gone.
    case sessionExpired
    /// The client was closed.
    case closed
    /// The server refused the credentials given to `addAuth`; the session is closed.
    case authFailed
    /// The request would exceed the packet limit (jute.maxbuffer); it was not sent.
    case packetTooLarge(Int, limit: Int)
    /// A reply could not be decoded, or broke the protocol (an xid out of order).
    case protocolError(String)

    /// Whether a retry on the same session may succeed.
    public var isRetryable: Bool {
        switch self {
        case .connectionLoss: true
        case .server(let code): code == .connectionLoss || code == .operationTimeout || code == .throttledOp
        default: false
        }
    }

    public var description: String {
        switch self {
        case .server(let code): "server error \(code)"
        case .connectionLoss: "connection loss (outcome unknown; not retried)"
        case .sessionExpired: "session expired"
        case .closed: "client closed"
        case .authFailed: "authentication failed"
        case .packetTooLarge(let n, let limit): "request of \(n) bytes exceeds the packet limit of \(limit) bytes"
        case .protocolError(let why): "protocol error: \(why)"
        }
    }
}
