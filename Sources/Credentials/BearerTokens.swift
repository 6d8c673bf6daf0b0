/// The bearer tokens a policy accepts, held as SHA-256 digests only: the server never stores a
/// token, so reading its memory, configuration or logs gives no credential away.
///
/// Lookup is a table keyed by digest rather than a constant-time scan of every entry. A scan
/// costs one comparison per entry on every request, which grows with the fleet (thousands of
/// devices); the table costs the same for any number. It reveals nothing useful through
/// timing either:
/// - the key is the digest of the presented token, not the token, so whatever timing shows
///   concerns digests, and a digest, even a stored one learnt in full, does not give its
///   token back (preimage resistance; tokens are high-entropy random strings);
/// - the bucket a digest lands in depends on the hasher's random per-process seed, so a caller
///   cannot aim at the bucket of a particular entry;
/// - key comparison inside the table is itself constant-time (`SHA256Digest.==` reads all 32
///   bytes with `CRYPTO_memcmp`), so there is no early exit that would count the bytes a
///   presented digest shares with a stored one. That comparison is the constant-time compare
///   of the found entry; no second one is needed.
///
/// Immutable once built, so one instance may serve every thread.
public struct BearerTokens: Sendable {
    private let ids: [SHA256Digest: String]

    /// The tokens of a policy, by id. One id may have several digests (a token being rotated).
    ///
    /// - Throws: `BearerTokensError.digestLength` for a digest that is not 32 bytes, and
    ///   `.sharedDigest` when two ids have the same digest (a token would then stand for either).
    public init(_ entries: [(id: String, sha256: [UInt8])]) throws(BearerTokensError) {
        var ids: [SHA256Digest: String] = [:]
        ids.reserveCapacity(entries.count)
        for entry in entries {
            guard let digest = SHA256Digest(entry.sha256) else {
                throw .digestLength(id: entry.id, count: entry.sha256.count)
            }
            if let other = ids[digest], other != entry.id { throw .sharedDigest(other, entry.id) }
            ids[digest] = entry.id
        }
        self.ids = ids
    }

    /// The number of distinct digests.
    public var count: Int { ids.count }

    /// The id of the token `token`, or nil when the policy has no such token. An empty token
    /// matches nothing.
    public func identify(_ token: some Collection<UInt8>) -> String? {
        guard !token.isEmpty else { return nil }
        return ids[SHA256.hash(token)]
    }

    /// `identify(_:)` of bytes the caller holds, without going through `Collection`'s generic
    /// calls (a server's per-request path).
    public func identify(_ token: UnsafeBufferPointer<UInt8>) -> String? {
        guard !token.isEmpty else { return nil }
        return ids[SHA256.hash(UnsafeRawBufferPointer(token))]
    }
}
