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
