/// Appends jute-encoded values (big-endian, length-prefixed) to a byte array. Never fails: limits
/// are the reader's (and the server's) business, so callers must keep packets under
/// `Jute.maxPacketLength` themselves or the server closes the connection.
public struct JuteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func writeInt32(_ value: Int32) {
        let v = UInt32(bitPattern: value)
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func writeInt64(_ value: Int64) {
        writeInt32(Int32(truncatingIfNeeded: value >> 32))
        writeInt32(Int32(truncatingIfNeeded: value))
    }

    /// One byte, 1 or 0.
    public mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// int32 length + bytes; nil is written as length -1.
    public mutating func writeBuffer(_ value: [UInt8]?) {
        guard let value else { return writeInt32(-1) }
        writeInt32(Int32(value.count))
        bytes.append(contentsOf: value)
    }

    /// UTF-8 with an int32 length; nil is written as -1. The empty string is written as length 0
    /// (kazoo, unlike Java, writes "" as null).
    public mutating func writeString(_ value: String?) {
        guard let value else { return writeInt32(-1) }
        writeBuffer(Array(value.utf8))
    }

    /// int32 count + elements; nil is written as count -1.
    public mutating func writeVector<T>(_ values: [T]?, _ element: (inout JuteWriter, T) -> Void) {
        guard let values else { return writeInt32(-1) }
        writeInt32(Int32(values.count))
        for v in values { element(&self, v) }
    }

    public mutating func writeStringVector(_ values: [String]?) {
        writeVector(values) { w, s in w.writeString(s) }
    }

    public mutating func write<R: JuteRecord>(_ record: R) {
        record.encode(to: &self)
    }

    public mutating func writeRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }
}
