/// Why a policy's token digests cannot make a `BearerTokens`.
public enum BearerTokensError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The digest of token `id` has `count` bytes instead of 32.
    case digestLength(id: String, count: Int)
    /// Two ids have the same digest, so the same token would stand for both.
    case sharedDigest(String, String)

    public var description: String {
        switch self {
        case .digestLength(let id, let count): "token \(id): a SHA-256 digest has 32 bytes, not \(count)"
        case .sharedDigest(let a, let b): "tokens \(a) and \(b) have the same digest"
        }
    }
}
