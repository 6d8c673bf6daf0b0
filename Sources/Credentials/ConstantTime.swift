/// Comparisons whose duration does not depend on where the inputs differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. The lengths are compared first, and a length
    /// mismatch returns at once: lengths are public here (a digest is always 32 bytes).
    /// Same-length contents are compared whole, every byte read whatever the first difference.
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        // Eight bytes a step, every byte read, differences gathered without a branch on them.
        // (OpenSSL's CRYPTO_memcmp goes a byte a step: six instructions a byte, a third of a
        // cached request for a JWT.)
        var difference: UInt64 = 0
        var i = 0
        while i &+ 8 <= a.count {
            difference |= a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        while i < a.count {
            difference |= UInt64(a[i] ^ b[i])
            i &+= 1
        }
        return difference == 0
    }

    /// Whether `a` and `b` hold the same bytes; see `equal(_:_:)` on buffers.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { l in b.withUnsafeBytes { r in equal(l, r) } }
    }
}
