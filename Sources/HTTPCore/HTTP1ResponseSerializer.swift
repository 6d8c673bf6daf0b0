/// Writes HTTP/1.1 response framing into a byte buffer. Pure functions, no I/O.
public enum HTTP1ResponseSerializer {
    /// How the body that follows the head is delimited.
    public enum Framing: Equatable, Sendable {
        case length(Int)
        case chunked
        /// HTTP/1.0 streams: the body ends when the connection closes.
        case untilClose
    }

    /// Writes the status line, the server's fields and the handler's fields, and the blank line.
    ///
    /// Handler fields named Content-Length, Transfer-Encoding, Connection or Date are skipped,
    /// since the server owns framing; fields with CR, LF or NUL are skipped, so no handler can
    /// split a response. `serverFields` are fields the server adds to every answer of the
    /// connection, already rendered as `\r\nName: value` (Strict-Transport-Security over TLS).
    public static func writeHead(
        status: HTTPStatus, headers: HTTPHeaders, framing: Framing, close: Bool, http10KeepAlive: Bool,
        date: [UInt8], serverFields: [UInt8] = [], into out: inout [UInt8]
    ) {
        // One bound, raw stores into a temporary buffer, one append: each Array.append costs
        // a uniqueness and capacity check, and a head has a dozen pieces.
        var bound = 64 + status.reason.utf8.count + date.count + serverFields.count + 80
        for field in headers.fields { bound += field.name.utf8.count + field.value.utf8.count + 4 }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
            var w = RawWriter(base: buffer.baseAddress!)
            w.write("HTTP/1.1 ")
            w.writeDecimal(status.code)
            w.write(" ")
            w.write(status.reason)
            w.write("\r\nDate: ")
            date.withUnsafeBufferPointer { w.write($0) }
            if !serverFields.isEmpty { serverFields.withUnsafeBufferPointer { w.write($0) } }
            switch framing {
            case .length(let n) where !(status.forbidsBody && n == 0):
                w.write("\r\nContent-Length: ")
                w.writeDecimal(n)
            case .chunked:
                w.write("\r\nTransfer-Encoding: chunked")
            default:
                break
            }
            if close {
                w.write("\r\nConnection: close")
            } else if http10KeepAlive {
                w.write("\r\nConnection: keep-alive")
            }
            w.write("\r\n")
            for field in headers.fields {
                var name = field.name
                var value = field.value
                name.withUTF8 { n in
                    value.withUTF8 { v in
                        guard isSafe(name: n, value: v), !isServerOwned(n) else { return }
                        w.write(n)
                        w.write(": ")
                        w.write(v)
                        w.write("\r\n")
                    }
                }
            }
            w.write("\r\n")
            out.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: w.count))
        }
    }

    /// Writes one chunk; an empty `data` writes nothing (it would end the body).
    public static func writeChunk(_ data: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        guard !data.isEmpty else { return }
        appendHex(data.count, to: &out)
        out.append("\r\n")
        out.append(contentsOf: data)
        out.append("\r\n")
    }

    /// Writes the last chunk and an empty trailer section.
    public static func writeLastChunk(into out: inout [UInt8]) {
        out.append("0\r\n\r\n")
    }

    /// The interim `100 Continue` answer.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// `value` in decimal, appended (access-log lines).
    @inline(__always)
    public static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var w = RawWriter(base: buffer.baseAddress!)
            w.writeDecimal(value)
            out.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: w.count))
        }
    }

    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let digits = ("0123456789abcdef" as StaticString).utf8Start
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        while shift >= 0 {
            out.append(digits[(value >> shift) & 15])
            shift -= 4
        }
    }

    @inline(__always)
    static func isServerOwned(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(name)
        switch name.count {
        case 4: return FramingFields.equalsLowercase(raw, "date")
        case 10: return FramingFields.equalsLowercase(raw, "connection")
        case 14: return FramingFields.equalsLowercase(raw, "content-length")
        case 17: return FramingFields.equalsLowercase(raw, "transfer-encoding")
        default: return false
        }
    }

    @inline(__always)
    static func isSafe(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !name.isEmpty else { return false }
        for b in name where !isTchar(b) { return false }
        for b in value where b == CR || b == LF || b == 0 { return false }
        return true
    }
}
