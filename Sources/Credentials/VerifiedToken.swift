/// What a verified token established: who it speaks for and until when.
public struct VerifiedToken: Equatable, Sendable {
    /// `sub`, never empty.
    public var subject: String
    /// `exp` in Unix seconds (a fractional value rounded up, which is exact against whole
    /// seconds). Required, so never absent.
    public var expiresAt: Int64
    /// `nbf` in Unix seconds (rounded up), when present.
    public var notBefore: Int64?
    /// `iss`, when present.
    public var issuer: String?
    /// `aud`, a single string given as a one-element list; empty when absent.
    public var audience: [String]
    /// The algorithm of the signature.
    public var algorithm: JWTAlgorithm
    /// The `kid` of the key that verified it, when that key has one.
    public var keyID: String?

    public init(
        subject: String, expiresAt: Int64, notBefore: Int64? = nil, issuer: String? = nil, audience: [String] = [],
        algorithm: JWTAlgorithm, keyID: String? = nil
    ) {
        self.subject = subject
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuer = issuer
        self.audience = audience
        self.algorithm = algorithm
        self.keyID = keyID
    }
}
