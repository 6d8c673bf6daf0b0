/// Sans-IO packet framing: every ZooKeeper packet is an int32 big-endian length + payload.
///
/// Append bytes as they arrive; pop complete payloads. A length over `maxLength` (default
/// 0xfffff, jute.maxbuffer) or negative throws `FramingError` and poisons the framer: the stream
/// cannot be resynchronised, so the connection must be dropped.
public struct PacketFramer: Sendable {
    public enum FramingError: Error, Equatable, Sendable {
        case negativeLength(Int32)
        case lengthOverLimit(Int32, limit: Int32)
    }

    public let maxLength: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var failure: FramingError?

    public init(maxLength: Int32 = Jute.maxPacketLength) { self.maxLength = maxLength }

    /// Bytes received but not yet returned as packets.
    public var bufferedCount: Int { buffer.count - start }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete payload, or nil when more bytes are needed.
    public mutating func next() throws(FramingError) -> [UInt8]? {
        if let failure { throw failure }
        guard bufferedCount >= 4 else { return nil }
        var n: UInt32 = 0
        for i in 0..<4 { n = n << 8 | UInt32(buffer[start + i]) }
        let len = Int32(bitPattern: n)
        if len < 0 { failure = .negativeLength(len); throw .negativeLength(len) }
        if len > maxLength {
            let e = FramingError.lengthOverLimit(len, limit: maxLength)
            failure = e
            throw e
        }
        guard bufferedCount - 4 >= Int(len) else { return nil }
        let from = start + 4
        let packet = Array(buffer[from..<from + Int(len)])
        start = from + Int(len)
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true); start = 0
        } else if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start); start = 0
        }
        return packet
    }

    /// Prefixes `payload` with its int32 length.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var w = JuteWriter(capacity: payload.count + 4)
        w.writeInt32(Int32(payload.count))
        w.writeRaw(payload)
        return w.bytes
    }

    /// A framed request: length + RequestHeader + body.
    public static func request(_ header: RequestHeader, body: (any JuteRecord)? = nil) -> [UInt8] {
        var w = JuteWriter()
        header.encode(to: &w)
        body?.encode(to: &w)
        return frame(w.bytes)
    }
}
