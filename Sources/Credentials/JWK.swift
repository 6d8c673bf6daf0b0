import COpenSSL

/// One verification key of a JWKS, as an OpenSSL `EVP_PKEY`.
///
/// Immutable once made, and OpenSSL allows one `EVP_PKEY` to verify on several threads at once,
/// so a key may be shared by every event loop.
public final class JWK: @unchecked Sendable {
    /// `kid`, when the set gave one.
    public let id: String?
    /// The one algorithm the key verifies: its `alg` when given, else the only one of ours its
    /// type and curve allow (EC P-256: ES256, RSA: RS256, OKP Ed25519: EdDSA).
    public let algorithm: JWTAlgorithm
    /// The key's size in bits (256 for P-256 and Ed25519, the modulus for RSA).
    public let bits: Int
    /// The `EVP_PKEY`, owned: freed with the key.
    let key: OpaquePointer

    init(id: String?, algorithm: JWTAlgorithm, key: OpaquePointer) {
        self.id = id
        self.algorithm = algorithm
        self.key = key
        bits = Int(EVP_PKEY_get_bits(key))
    }

    deinit { EVP_PKEY_free(key) }
}
