import COpenSSL

/// Why TLS set-up or a connection's TLS failed.
public enum TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A certificate, key or CA file could not be used; the detail names the file and
    /// OpenSSL's reason.
    case configuration(String)
    /// The peer broke the protocol or failed verification (a bad certificate, no shared
    /// version or cipher, a malformed record); the detail is OpenSSL's reason.
    case handshake(String)
    /// The connection's TLS failed after the handshake.
    case connection(String)

    public var description: String {
        switch self {
        case .configuration(let detail): "TLS configuration: \(detail)"
        case .handshake(let detail): "TLS handshake failed: \(detail)"
        case .connection(let detail): "TLS connection failed: \(detail)"
        }
    }

    /// OpenSSL's queued errors as one line, emptying the queue.
    static func drainQueue() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; ")
    }
}
