import Credentials
import Foundation
import JSON
import TestSupport
import Testing

/// Signatures and headers: tokens signed by openssl, verified against a JWKS of their public
/// keys, and the attacks a verifier must refuse.
@Suite("JWT signatures and headers")
struct JWTVerifierTests {
    static let fixture = Result { try TestSigner() }
    static let now = TestSigner.now

    /// A verifier of `keys`, expecting the fixture's issuer and audience.
    static func verifier(_ keys: [TestSigner.Key] = [.ec, .rsa, .ed]) throws -> JWTVerifier {
        let signer = try fixture.get()
        return JWTVerifier(keys: try JWKS(json: signer.jwks(keys)), issuer: "https://issuer.example", audience: "zkgate")
    }

    static func verify(_ token: String, keys: [TestSigner.Key] = [.ec, .rsa, .ed]) throws -> Result<VerifiedToken, JWTError> {
        let verifier = try verifier(keys)
        return Result { () throws(JWTError) in try verifier.verify(Array(token.utf8), now: now) }
    }

    static func expect(_ token: String, keys: [TestSigner.Key] = [.ec, .rsa, .ed], fails error: JWTError,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try verify(token, keys: keys)
        #expect(throws: error, sourceLocation: sourceLocation) { try result.get() }
    }

    @Test(arguments: [TestSigner.Key.ec, .rsa, .ed])
    func aValidTokenVerifiesWithEachAlgorithm(key: TestSigner.Key) throws {
        let token = try Self.fixture.get().token(key)
        let verified = try Self.verify(token).get()
        #expect(verified.subject == "device-7")
        #expect(verified.expiresAt == Self.now + 600)
        #expect(verified.issuer == "https://issuer.example")
        #expect(verified.audience == ["zkgate"])
        #expect(verified.keyID == key.kid)
        #expect(verified.algorithm.rawValue == key.algorithm)
    }

    @Test func aTokenWithoutKidTriesEveryKeyOfItsAlgorithm() throws {
        let signer = try Self.fixture.get()
        let token = try signer.token(.ec, header: ["kid": NSNull()])
        // ec-2 comes first and fails; ec-1 verifies.
        let verified = try Self.verify(token, keys: [.rsa, .ec2, .ec]).get()
        #expect(verified.keyID == "ec-1")
        try Self.expect(token, keys: [.ec2, .rsa, .ed], fails: .badSignature)
    }

    @Test func aKeyWithoutKidServesTokensWithout() throws {
        let signer = try Self.fixture.get()
        let keys = try JWKS(json: jsonBytes(["keys": [signer.jwk(.ed, kid: false, alg: false)]]))
        let verifier = JWTVerifier(keys: keys, issuer: nil, audience: nil)
        let verified = try verifier.verify(Array(try signer.token(.ed, header: ["kid": NSNull()]).utf8), now: Self.now)
        #expect(verified.keyID == nil && verified.algorithm == .edDSA)
        // A token naming a kid finds no key without one.
        #expect(throws: JWTError.unknownKey) { try verifier.verify(Array(try signer.token(.ed).utf8), now: Self.now) }
    }

    @Test(arguments: [TestSigner.Key.ec, .rsa, .ed])
    func aTamperedPayloadFails(key: TestSigner.Key) throws {
        let token = try Self.fixture.get().token(key)
        var claims = try #require(try JSONParser.parse(decodedPart(token, 1)).objectValue)
        claims["sub"] = .string("device-8")
        try Self.expect(replacingPart(token, 1, with: base64url(JSONValue.object(claims).serialized())), fails: .badSignature)
    }

    @Test(arguments: [TestSigner.Key.ec, .rsa, .ed])
    func aTamperedSignatureFails(key: TestSigner.Key) throws {
        let token = try Self.fixture.get().token(key)
        for position in [0, 20, -1] {
            var signature = decodedPart(token, 2)
            signature[position < 0 ? signature.count - 1 : position] ^= 0x01
            try Self.expect(replacingPart(token, 2, with: base64url(signature)), fails: .badSignature)
        }
    }

    @Test func anotherKeysSignatureUnderThisKidFails() throws {
        let token = try Self.fixture.get().token(.ec2, header: ["kid": "ec-1"])
        try Self.expect(token, keys: [.ec, .ec2, .rsa], fails: .badSignature)
    }

    @Test func anUnknownKidFails() throws {
        let token = try Self.fixture.get().token(.ec, header: ["kid": "ec-9"])
        try Self.expect(token, fails: .unknownKey)
    }

    @Test func anRS256TokenFindsNoKeyInAnECOnlySet() throws {
        let token = try Self.fixture.get().token(.rsa)
        try Self.expect(token, keys: [.ec, .ec2], fails: .unknownKey)
        // Nor under the kid of an EC key: the kid selects among keys of the token's algorithm.
        try Self.expect(try Self.fixture.get().token(.rsa, header: ["kid": "ec-1"]), keys: [.ec, .rsa], fails: .unknownKey)
    }

    @Test func algNoneIsRefused() throws {
        let signer = try Self.fixture.get()
        let unsigned = base64url(jsonBytes(["alg": "none", "typ": "JWT"])) + "." + base64url(jsonBytes(TestSigner.claims())) + "."
        try Self.expect(unsigned, fails: .unsupportedAlgorithm)
        // With a real signature attached, and with the kid of a key, still refused.
        let signed = try signer.token(.ec, header: ["alg": "none"])
        try Self.expect(signed, fails: .unsupportedAlgorithm)
        for spelling in ["None", "NONE", "nOnE"] {
            try Self.expect(try signer.token(.ec, header: ["alg": spelling]), fails: .unsupportedAlgorithm)
        }
    }

    /// The classic confusion: HMAC-SHA256 keyed with the RSA public key (which anyone has), for a
    /// verifier that would take the key's bytes as the HMAC secret.
    @Test func hs256SignedWithTheRSAPublicKeyAsSecretIsRefused() throws {
        let signer = try Self.fixture.get()
        let input = base64url(jsonBytes(["alg": "HS256", "kid": "rsa-1", "typ": "JWT"])) + "." + base64url(jsonBytes(TestSigner.claims()))
        let n = decodedPart("x.\(signer.publicMembers[.rsa]!["n"]!).x", 1)
        for secret in [signer.rsaPublicPEM, n] {
            let mac = try signer.hmac(Array(input.utf8), secret: secret)
            try Self.expect(input + "." + base64url(mac), fails: .unsupportedAlgorithm)
        }
        for alg in ["HS384", "HS512", "RS512", "PS256", "ES384", "ES256K", "Ed25519", "es256", ""] {
            try Self.expect(try signer.token(.ec, header: ["alg": alg]), fails: .unsupportedAlgorithm)
        }
    }

    /// A header that brings its own key (RFC 7515's jwk) must not be trusted: keys come from
    /// the set only.
    @Test func anEmbeddedKeyIsIgnored() throws {
        let signer = try Self.fixture.get()
        let attacker = signer.jwk(.ec2, kid: false)
        try Self.expect(try signer.token(.ec2, header: ["jwk": attacker, "kid": NSNull()]), keys: [.ec], fails: .badSignature)
        try Self.expect(try signer.token(.ec2, header: ["jwk": attacker, "kid": "attacker"]), keys: [.ec], fails: .unknownKey)
        try Self.expect(try signer.token(.ec2, header: ["jku": "https://attacker.example/jwks", "kid": "ec-1"]), keys: [.ec],
            fails: .badSignature)
    }

    @Test func critIsRefused() throws {
        let token = try Self.fixture.get().token(.ec, header: ["crit": ["exp"], "exp": 1])
        try Self.expect(token, fails: .criticalExtension)
    }

    @Test func es256SignaturesMustBeRawAndSixtyFourBytes() throws {
        let signer = try Self.fixture.get()
        let token = try signer.token(.ec)
        let input = token.split(separator: ".").prefix(2).joined(separator: ".")
        // openssl's own DER form of a valid signature: JWS wants r‖s.
        let der = try signer.derECDSA(Array(input.utf8), with: .ec)
        try Self.expect(input + "." + base64url(der), fails: .badSignature)
        let raw = decodedPart(token, 2)
        for bad in [Array(raw.prefix(63)), raw + [0], [UInt8](repeating: 0, count: 64), Array(raw.prefix(32)) + [UInt8](repeating: 0, count: 32)] {
            try Self.expect(input + "." + base64url(bad), fails: .badSignature)
        }
    }

    @Test func signaturesOfOtherAlgorithmsDoNotCrossOver() throws {
        let signer = try Self.fixture.get()
        // An RSA signature under an ES256 header (256 bytes) and an Ed25519 one (64 bytes).
        let input = base64url(jsonBytes(["alg": "ES256", "kid": "ec-1"])) + "." + base64url(jsonBytes(TestSigner.claims()))
        for key in [TestSigner.Key.rsa, .ed] {
            try Self.expect(input + "." + base64url(try signer.sign(Array(input.utf8), with: key)), fails: .badSignature)
        }
    }

    @Test func malformedTokensAreRefused() throws {
        let signer = try Self.fixture.get()
        let token = try signer.token(.ec)
        let parts = token.split(separator: ".").map(String.init)
        let cases: [String] = [
            "",
            parts[0] + "." + parts[1],
            token + "." + parts[2],
            token + ".",
            "." + parts[1] + "." + parts[2],
            parts[0] + ".." + parts[2],
            parts[0] + "=." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "=." + parts[2],
            token + "=",
            parts[0] + "." + parts[1] + "." + parts[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "+/",
            parts[0] + "." + parts[1] + " ." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2] + "AAA",
            base64url(Array("not json".utf8)) + "." + parts[1] + "." + parts[2],
            base64url(Array("[\"ES256\"]".utf8)) + "." + parts[1] + "." + parts[2],
            parts[0] + "." + base64url(Array("[]".utf8)) + "." + parts[2],
            base64url(jsonBytes(["kid": "ec-1"])) + "." + parts[1] + "." + parts[2],
            base64url(jsonBytes(["alg": "ES256", "kid": 7])) + "." + parts[1] + "." + parts[2],
        ]
        for (i, bad) in cases.enumerated() {
            let result = try Self.verify(bad)
            guard case .failure(.malformed) = result else {
                Issue.record("case \(i) \(bad.prefix(40))…: \(result)")
                continue
            }
        }
    }

    @Test func aTokenOverEightKiBIsMalformed() throws {
        let signer = try Self.fixture.get()
        let padded = try signer.token(.ec, payload: TestSigner.claims(["pad": String(repeating: "x", count: 6800)]))
        #expect(padded.utf8.count > 9 * 1024 && padded.utf8.count < 9 * 1024 + 200)
        let result = try Self.verify(padded)
        guard case .failure(.malformed(let reason)) = result else {
            Issue.record("\(result)")
            return
        }
        #expect(reason.contains("8192"))
        // Under the bound the same shape verifies.
        let fits = try signer.token(.ec, payload: TestSigner.claims(["pad": String(repeating: "x", count: 5000)]))
        #expect(fits.utf8.count <= JWTVerifier.maxTokenBytes)
        #expect(try Self.verify(fits).get().subject == "device-7")
    }

    @Test func aPayloadBeyondTheJSONLimitsIsMalformed() throws {
        let signer = try Self.fixture.get()
        var nested: Any = "deep"
        for _ in 0..<20 { nested = [nested] }
        let result = try Self.verify(try signer.token(.ec, payload: TestSigner.claims(["deep": nested])))
        guard case .failure(.malformed) = result else {
            Issue.record("\(result)")
            return
        }
    }

    @Test func errorMessagesNeverRepeatTheToken() throws {
        let signer = try Self.fixture.get()
        let marker = "MARKER<script>"
        let tokens = [
            try signer.token(.ec, header: ["alg": marker]),
            try signer.token(.ec, header: ["kid": marker]),
            try signer.token(.ec, payload: TestSigner.claims(["iss": marker])),
            try signer.token(.ec, payload: TestSigner.claims(["aud": [marker]])),
            try signer.token(.ec, payload: TestSigner.claims(["exp": marker])),
        ]
        for token in tokens {
            let result = try Self.verify(token)
            guard case .failure(let error) = result else {
                Issue.record("verified: \(token)")
                continue
            }
            #expect(!error.description.contains("MARKER") && !error.description.contains(token.prefix(10)), "\(error)")
        }
    }

    @Test func verifiersHaveDistinctGenerations() throws {
        let a = try Self.verifier()
        let b = try Self.verifier()
        let copy = a
        #expect(a.generation != b.generation)
        #expect(copy.generation == a.generation)
    }
}
