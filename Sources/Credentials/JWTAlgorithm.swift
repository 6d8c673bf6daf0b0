/// The JWS algorithms a token may be signed with (RFC 7518 §3.1, RFC 8037 §3.1). Only
/// public-key algorithms: with HS256 a verifier would need the signing secret, and accepting it
/// beside them opens the classic confusion where the RSA public key serves as the HMAC secret.
public enum JWTAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// ECDSA on P-256 with SHA-256; the signature is r‖s, 32 bytes each.
    case es256 = "ES256"
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    case rs256 = "RS256"
    /// Ed25519 (the only EdDSA curve accepted).
    case edDSA = "EdDSA"
}
