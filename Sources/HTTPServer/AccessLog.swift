import HTTPCore

#if canImport(Glibc)
import Glibc
#endif

/// One line per request, buffered per loop and written once per loop iteration, so logging
/// costs no system call per request.
final class AccessLog {
    let fd: Int32
    let ownsFD: Bool
    var buffer: [UInt8] = []
    static let flushThreshold = 64 << 10

    init(fd: Int32, ownsFD: Bool) {
        self.fd = fd
        self.ownsFD = ownsFD
        buffer.reserveCapacity(Self.flushThreshold + 1024)
    }

    deinit {
        flush()
        if ownsFD { close(fd) }
    }

    /// `[date] remote principal "METHOD target HTTP/x.y" status bytes durationus`, the
    /// principal `-` when none was named (no policy, or no request head).
    func record(
        date: [UInt8], remote: String, principal: String?, head: HTTPRequestHead?, status: Int, bytes: Int, micros: UInt64
    ) {
        buffer.append(UInt8(ascii: "["))
        buffer.append(contentsOf: date)
        buffer.append(contentsOf: "] ".utf8)
        buffer.append(contentsOf: remote.utf8)
        buffer.append(UInt8(ascii: " "))
        if let principal {
            // Names are checked for controls before they get here; quotes and spaces are
            // escaped so that the field stays one token.
            for b in principal.utf8 {
                if b == UInt8(ascii: " ") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || b == 0x7F {
                    let digits = Array("0123456789ABCDEF".utf8)
                    buffer.append(contentsOf: [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 15)]])
                } else {
                    buffer.append(b)
                }
            }
        } else {
            buffer.append(UInt8(ascii: "-"))
        }
        buffer.append(contentsOf: " \"".utf8)
        if let head {
            buffer.append(contentsOf: head.method.rawValue.utf8)
            buffer.append(UInt8(ascii: " "))
            for b in head.target.utf8 {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { buffer.append(UInt8(ascii: "\\")) }
                buffer.append(b)
            }
            switch head.version {
            case .http1_0: buffer.append(contentsOf: " HTTP/1.0".utf8)
            case .http2: buffer.append(contentsOf: " HTTP/2.0".utf8)
            default: buffer.append(contentsOf: " HTTP/1.1".utf8)
            }
        } else {
            buffer.append(UInt8(ascii: "-"))
        }
        buffer.append(contentsOf: "\" ".utf8)
        HTTP1ResponseSerializer.appendDecimal(status, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        HTTP1ResponseSerializer.appendDecimal(bytes, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        HTTP1ResponseSerializer.appendDecimal(Int(micros), to: &buffer)
        buffer.append(contentsOf: "us\n".utf8)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break  // a full or broken log sink must not stop the server
                }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
