/// Why an HTTP/2 connection must end.
public enum HTTP2Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The peer broke the protocol (a bad preface, a malformed frame, a flow-control or
    /// compression error); a GOAWAY naming the error is queued.
    case protocolViolation(String)
    /// The peer reset streams faster than the limit allows (CVE-2023-44487); a GOAWAY with
    /// ENHANCE_YOUR_CALM is queued.
    case tooManyResets(count: Int, windowMs: Int)
    /// nghttp2 could not set up or run the session (memory).
    case library(String)

    public var description: String {
        switch self {
        case .protocolViolation(let detail): "HTTP/2 protocol error: \(detail)"
        case .tooManyResets(let count, let windowMs): "more than \(count) stream resets in \(windowMs) ms"
        case .library(let detail): "nghttp2: \(detail)"
        }
    }
}
