import COpenSSL

/// A SHA-256 digest held inline (four words, no heap allocation), so that tables keyed by
/// digest cost no allocation per lookup.
///
/// Equality is constant-time (`CRYPTO_memcmp`): a table lookup compares the presented digest
/// with stored ones, and an early-exit comparison would tell a caller, through timing, how many
/// leading bytes of a stored digest its own digest shares.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    /// The digest in `bytes`, or nil unless there are exactly 32 of them.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == SHA256.byteCount else { return nil }
        withUnsafeMutableBytes { out in _ = out.initializeMemory(as: UInt8.self, from: bytes) }
    }

    /// The 32 bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lowercase hex, 64 characters.
    public var description: String { Hex.encode(bytes) }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in ConstantTime.equal(l, r) } }
    }

    /// One word is enough: the words are uniformly distributed, and the hasher's per-process
    /// seed keeps the bucket of a chosen digest unpredictable.
    public func hash(into hasher: inout Hasher) { hasher.combine(words.0) }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &words, body)
    }
}
