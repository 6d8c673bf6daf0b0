/// Reads jute-encoded values from a byte array, throwing `JuteError`.
///
/// Errors: `.truncated` when the input ends early; `.negativeLength` for a length/count below -1;
/// `.lengthOverLimit` for one over 0xfffff; `.invalidUTF8` for a bad ustring; `.trailingBytes`
/// from `finish()` when the record must fill the input.
public struct JuteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    /// Throws `.trailingBytes` unless all input has been consumed.
    public func finish() throws(JuteError) {
        if remaining > 0 { throw .trailingBytes(remaining) }
    }

    public mutating func readInt32() throws(JuteError) -> Int32 {
        guard remaining >= 4 else { throw .truncated }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return Int32(bitPattern: v)
    }

    public mutating func readInt64() throws(JuteError) -> Int64 {
        let hi = try readInt32()
        let lo = try readInt32()
        return Int64(hi) << 32 | Int64(UInt32(bitPattern: lo))
    }

    /// One byte; any non-zero value is true (as Java's DataInput.readBoolean).
    public mutating func readBool() throws(JuteError) -> Bool {
        guard remaining >= 1 else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset] != 0
    }

    /// Reads a length/count prefix: nil for -1, else 0...maxPacketLength.
    mutating func readLength() throws(JuteError) -> Int? {
        let n = try readInt32()
        if n == -1 { return nil }
        if n < 0 { throw .negativeLength(n) }
        if n > Jute.maxPacketLength { throw .lengthOverLimit(n) }
        return Int(n)
    }

    public mutating func readBuffer() throws(JuteError) -> [UInt8]? {
        guard let n = try readLength() else { return nil }
        guard remaining >= n else { throw .truncated }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    /// Decoded in place, with no copy of the bytes first. Paths are nearly always ASCII,
    /// which needs no validation; anything else goes through the standard library's
    /// validating decoder (generic, about ten times the cost).
    public mutating func readString() throws(JuteError) -> String? {
        guard let n = try readLength() else { return nil }
        guard remaining >= n else { throw .truncated }
        let start = offset
        offset += n
        return try bytes.withUnsafeBufferPointer { all throws(JuteError) -> String in
            let raw = UnsafeBufferPointer(rebasing: all[start..<start + n])
            var high: UInt8 = 0
            for byte in raw { high |= byte }
            if high < 0x80 { return String(decoding: raw, as: UTF8.self) }
            guard let s = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8 }
            return s
        }
    }

    /// A non-null string; a null one decodes as "" (the server never sends null paths).
    public mutating func readPath() throws(JuteError) -> String {
        try readString() ?? ""
    }

    public mutating func readVector<T>(
        _ element: (inout JuteReader) throws(JuteError) -> T
    ) throws(JuteError) -> [T]? {
        guard let n = try readLength() else { return nil }
        var out: [T] = []
        out.reserveCapacity(min(n, remaining))
        for _ in 0..<n { out.append(try element(&self)) }
        return out
    }

    public mutating func readStringVector() throws(JuteError) -> [String]? {
        try readVector { (r: inout JuteReader) throws(JuteError) in try r.readPath() }
    }

    public mutating func read<R: JuteRecord>(_: R.Type = R.self) throws(JuteError) -> R {
        try R(from: &self)
    }
}
