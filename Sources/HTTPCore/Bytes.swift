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

/// Unchecked stores into memory the caller sized: for fixed-layout text (a response head, a
/// node's stat), where each `Array.append` would cost a uniqueness and capacity check.
public struct RawWriter {
    public let base: UnsafeMutablePointer<UInt8>
    /// Bytes written so far.
    public var count = 0

    @inlinable public init(base: UnsafeMutablePointer<UInt8>) { self.base = base }

    @inlinable @inline(__always) public mutating func write(_ s: StaticString) {
        (base + count).update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        count += s.utf8CodeUnitCount
    }

    @inlinable @inline(__always) public mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    @inlinable @inline(__always) public mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { write($0) }
    }

    /// `length` bytes that `fill` stores at the pointer it is given.
    @inlinable @inline(__always)
    public mutating func write(_ length: Int, _ fill: (UnsafeMutablePointer<UInt8>) -> Void) {
        fill(base + count)
        count += length
    }

    @inlinable @inline(__always) public mutating func writeDecimal(_ value: Int) { writeDecimal(Int64(value)) }

    /// `value` in decimal: at most 20 bytes.
    @inlinable @inline(__always) public mutating func writeDecimal(_ value: Int64) {
        if value < 0 { write("-") }
        // The magnitude as UInt64, so Int64.min needs no special case.
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 { digits += 1; rest /= 10 }
        for i in stride(from: count + digits - 1, through: count, by: -1) {
            base[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
            magnitude /= 10
        }
        count += digits
    }
}

/// Integers as decimal header values (`Zkgate-Index`, ETags), written into the String's own
/// storage: `String(Int64)` goes through the generic integer printer and costs several times
/// more, on every node answer.
public enum DecimalText {
    /// `value` in decimal.
    public static func string(_ value: Int64) -> String {
        String(unsafeUninitializedCapacity: 20) { out in
            var w = RawWriter(base: out.baseAddress!)
            w.writeDecimal(value)
            return w.count
        }
    }

    /// `"first.second"`, with the quotes: the form of a node's ETag.
    public static func quotedPair(_ first: Int64, _ second: Int64) -> String {
        String(unsafeUninitializedCapacity: 43) { out in
            var w = RawWriter(base: out.baseAddress!)
            w.write("\"")
            w.writeDecimal(first)
            w.write(".")
            w.writeDecimal(second)
            w.write("\"")
            return w.count
        }
    }
}
