import JSON
import Synchronization

/// Checks compact JWS tokens (RFC 7515 §7.1) as JWTs (RFC 7519): signature against a JWKS,
/// then the claims.
///
/// The header's `alg` must be ES256, RS256 or EdDSA, and only keys of that algorithm are
/// tried (`JWK.algorithm`), so a token cannot make an RSA key serve as an HMAC secret or make
/// any key serve another algorithm. Header members that name keys to fetch or trust (`jku`,
/// `x5u`, `jwk`, `x5c`) are ignored: keys come from the configured set only.
///
/// Immutable, so one verifier may serve every thread.
public struct JWTVerifier: Sendable {
    /// The longest token accepted. Identity providers' tokens are 1–2 KiB; the bound caps the
    /// decoding and parsing a token costs before its signature is checked (about 3 µs for 600
    /// bytes, measured by bench/credentials.sh).
    public static let maxTokenBytes = 8192

    public let keys: JWKS
    /// The `iss` a token must have, when set.
    public let issuer: String?
    /// A value `aud` must be or include, when set.
    public let audience: String?
    /// Clock skew allowed between the issuer and us, for `exp` and `nbf`.
    public let leeway: Duration
    /// Different for each verifier made (copies share it), so that a cache of results can
    /// notice that the keys or the expected claims changed.
    public let generation: UInt64

    let leewaySeconds: Int64

    private static let generations = Atomic<UInt64>(0)

    /// The JSON limits for a header or payload: the token is 8 KiB at most anyway; the
    /// limits keep nesting and counts to what claims need.
    static let limits = JSONParser.Limits(maxDepth: 16, maxMembers: 256, maxElements: 2048, maxStringBytes: maxTokenBytes)

    public init(keys: JWKS, issuer: String?, audience: String?, leeway: Duration = .seconds(30)) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        leewaySeconds = max(0, leeway.components.seconds)
        generation = Self.generations.add(1, ordering: .relaxed).newValue
    }

    /// The token's subject and validity, once its signature and claims check out at `now`.
    ///
    /// - Parameter now: the current time in Unix seconds.
    /// - Throws: `JWTError`: `.malformed` for a token over 8 KiB or not a compact JWS of JSON
    ///   objects; `.unsupportedAlgorithm` (`none`, HS256, ...); `.criticalExtension`;
    ///   `.unknownKey`; `.badSignature`; and, once the signature verified, `.missingSubject`,
    ///   `.missingExpiration`, `.expired`, `.notYetValid`, `.wrongIssuer`, `.wrongAudience`.
    public func verify(_ token: some Collection<UInt8>, now: Int64) throws(JWTError) -> VerifiedToken {
        guard token.count <= Self.maxTokenBytes else {
            throw .malformed("longer than \(Self.maxTokenBytes) bytes")
        }
        let bytes = Array(token)
        guard let firstDot = bytes.firstIndex(of: UInt8(ascii: ".")),
            let secondDot = bytes[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
            !bytes[(secondDot + 1)...].contains(UInt8(ascii: "."))
        else {
            throw .malformed("a compact JWS has three parts separated by dots")
        }
        let header = try Self.object(bytes[..<firstDot], part: "header")
        guard let algorithmName = header["alg"]?.stringValue else { throw .malformed("the header has no alg") }
        guard let algorithm = JWTAlgorithm(rawValue: algorithmName) else { throw .unsupportedAlgorithm }
        guard header["crit"] == nil else { throw .criticalExtension }
        var keyID: String?
        if let value = header["kid"] {
            guard let id = value.stringValue else { throw .malformed("kid is not a string") }
            keyID = id
        }
        // Everything is decoded before the signature is checked, so a malformed token costs
        // no public-key operation; nothing of the payload is trusted before it.
        let claims = try Self.object(bytes[(firstDot + 1)..<secondDot], part: "payload")
        guard let signature = Base64URL.decode(bytes[(secondDot + 1)...]), !signature.isEmpty else {
            throw .malformed("the signature is not unpadded base64url")
        }
        let candidates = keys.candidates(algorithm, keyID: keyID)
        guard !candidates.isEmpty else { throw .unknownKey }
        let key = bytes[..<secondDot].withUnsafeBytes { signed in
            Self.verifyingKey(candidates, algorithm: algorithm, signature: signature, signed: signed)
        }
        guard let key else { throw .badSignature }
        return try check(claims, algorithm: algorithm, keyID: key.id, now: now)
    }

    /// The JSON object in the base64url `part`.
    static func object(_ encoded: ArraySlice<UInt8>, part: String) throws(JWTError) -> JSONObject {
        guard let json = Base64URL.decode(encoded), !json.isEmpty else {
            throw .malformed("the \(part) is not unpadded base64url")
        }
        guard let value = try? JSONParser.parse(json, limits: limits), let object = value.objectValue else {
            throw .malformed("the \(part) is not a JSON object")
        }
        return object
    }
}
