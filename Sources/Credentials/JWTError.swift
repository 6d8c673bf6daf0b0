/// Why a token was refused. Every description is safe to show the client: none repeats any
/// part of the token (a header or claim value could carry markup or another user's data into
/// a log or an answer).
public enum JWTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a compact JWS we can read: too long, not three base64url parts, a header or payload
    /// that is not a JSON object, a claim of the wrong type. The reason is ours, never the token's.
    case malformed(String)
    /// The header's `alg` is not ES256, RS256 or EdDSA (`none` and HS256 included).
    case unsupportedAlgorithm
    /// The header has `crit`: it names extensions that must be understood, and we know none.
    case criticalExtension
    /// No key of the set has the token's algorithm (and its `kid`, when it names one).
    case unknownKey
    /// No candidate key verifies the signature.
    case badSignature
    /// `exp` is past, by more than the leeway.
    case expired
    /// `nbf` is still ahead, by more than the leeway.
    case notYetValid
    /// `iss` is missing or not the configured issuer.
    case wrongIssuer
    /// `aud` is missing or does not include the configured audience.
    case wrongAudience
    /// `sub` is missing, empty or not a string.
    case missingSubject
    /// `exp` is missing: a token that never expires is not accepted.
    case missingExpiration

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed token: \(reason)"
        case .unsupportedAlgorithm: "token algorithm not accepted (ES256, RS256 or EdDSA only)"
        case .criticalExtension: "token header has critical extensions, which are not supported"
        case .unknownKey: "no key for the token's algorithm and key id"
        case .badSignature: "token signature does not verify"
        case .expired: "token has expired"
        case .notYetValid: "token is not valid yet"
        case .wrongIssuer: "token issuer not accepted"
        case .wrongAudience: "token audience not accepted"
        case .missingSubject: "token has no subject"
        case .missingExpiration: "token has no expiry time"
        }
    }
}
