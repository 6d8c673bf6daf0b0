/// Byte helpers for the hot path. The generic `append(contentsOf:)` over `String.UTF8View`
/// and `String(decoding:as:)` (which casts its argument to a protocol at run time) cost
/// hundreds of instructions per call; these copy memory directly.
extension Array where Element == UInt8 {
    @inlinable @inline(__always)
    public mutating func append(_ s: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inlinable @inline(__always)
    public mutating func append(utf8 s: String) {
        var s = s
        s.withUTF8 { append(contentsOf: $0) }
    }
}

/// A String from bytes, repairing invalid UTF-8, without a run-time protocol cast.
@inlinable @inline(__always)
public func makeString(_ bytes: UnsafeRawBufferPointer) -> String {
    guard !bytes.isEmpty else { return "" }
    return String(unsafeUninitializedCapacity: bytes.count) { dest in
        UnsafeMutableRawBufferPointer(dest).copyMemory(from: bytes)
        return bytes.count
    }
}

/// Whether `bytes` equal the ASCII `literal` exactly.
@inlinable @inline(__always)
public func bytesEqual(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    guard bytes.count == literal.utf8CodeUnitCount else { return false }
    let p = literal.utf8Start
    for i in 0..<bytes.count where bytes[i] != p[i] { return false }
    return true
}

/// Integers as decimal header values (`Zkgate-Index`, ETags), written into the String's own
/// storage: `String(Int64)` goes through the generic integer printer and costs several times
/// more, on every node answer.
public enum DecimalText {
    /// `value` in decimal.
    public static func string(_ value: Int64) -> String {
        String(unsafeUninitializedCapacity: 20) { write(value, into: $0, at: 0) }
    }

    /// `"first.second"`, with the quotes: the form of a node's ETag.
    public static func quotedPair(_ first: Int64, _ second: Int64) -> String {
        String(unsafeUninitializedCapacity: 43) { out in
            out[0] = UInt8(ascii: "\"")
            var n = write(first, into: out, at: 1)
            out[n] = UInt8(ascii: ".")
            n = write(second, into: out, at: n + 1)
            out[n] = UInt8(ascii: "\"")
            return n + 1
        }
    }

    /// Writes `value` at `start` (room for 20 bytes needed); returns the offset after it.
    @inlinable @inline(__always)
    public static func write(_ value: Int64, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var i = start
        if value < 0 { out[i] = UInt8(ascii: "-"); i += 1 }
        // The magnitude as UInt64, so Int64.min needs no special case.
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 { digits += 1; rest /= 10 }
        var j = i + digits - 1
        while j >= i {
            out[j] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
            magnitude /= 10
            j -= 1
        }
        return i + digits
    }
}
