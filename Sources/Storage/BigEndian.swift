/// Big-endian integer helpers for the on-disk formats (network order, so a hex dump reads
/// naturally and the format does not depend on the machine).
enum BigEndian {
    /// Appends `value`'s bytes, most significant first.
    @inline(__always)
    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Reads a `T` stored most significant byte first at `offset` (which must be in bounds).
    @inline(__always)
    static func read<T: FixedWidthInteger>(_: T.Type, from bytes: UnsafeRawBufferPointer, at offset: Int) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
