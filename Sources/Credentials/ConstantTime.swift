import COpenSSL

/// Comparisons whose duration does not depend on where the inputs differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. The lengths are compared first, and a length
    /// mismatch returns at once: lengths are public here (a digest is always 32 bytes).
    /// Same-length contents are compared with `CRYPTO_memcmp`, which reads every byte.
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0, let left = a.baseAddress, let right = b.baseAddress else { return true }
        return CRYPTO_memcmp(left, right, a.count) == 0
    }

    /// Whether `a` and `b` hold the same bytes; see `equal(_:_:)` on buffers.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { l in b.withUnsafeBytes { r in equal(l, r) } }
    }
}
