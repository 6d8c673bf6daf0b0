import Credentials
import Foundation
import TestSupport
import Testing

/// Claims, once the signature verified: subject, expiry and not-before with the leeway,
/// issuer and audience.
@Suite("JWT claims")
struct JWTClaimsTests {
    static let now = TestSigner.now

    static func verify(_ changes: [String: Any], issuer: String? = "https://issuer.example", audience: String? = "zkgate",
                       leeway: Duration = .seconds(30)) throws -> Result<VerifiedToken, JWTError> {
        let signer = try JWTVerifierTests.fixture.get()
        let verifier = JWTVerifier(keys: try JWKS(json: signer.jwks([.ed])), issuer: issuer, audience: audience, leeway: leeway)
        let token = try signer.token(.ed, payload: TestSigner.claims(changes))
        return Result { () throws(JWTError) in try verifier.verify(Array(token.utf8), now: now) }
    }

    static func expect(_ changes: [String: Any], issuer: String? = "https://issuer.example", audience: String? = "zkgate",
                       fails error: JWTError, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try verify(changes, issuer: issuer, audience: audience)
        #expect(throws: error, sourceLocation: sourceLocation) { try result.get() }
    }

    @Test func expiryAllowsTheLeewayAndNoMore() throws {
        #expect(try Self.verify(["exp": Self.now + 1]).get().expiresAt == Self.now + 1)
        // Expired 10 s and 29 s ago: within the 30 s leeway.
        #expect(try Self.verify(["exp": Self.now - 10]).get().expiresAt == Self.now - 10)
        #expect(try Self.verify(["exp": Self.now - 29]).get().subject == "device-7")
        // At exp + leeway the token is no longer valid (valid while now < exp).
        try Self.expect(["exp": Self.now - 30], fails: .expired)
        try Self.expect(["exp": Self.now - 31], fails: .expired)
        try Self.expect(["exp": Self.now - 86_400], fails: .expired)
        let strict = try Self.verify(["exp": Self.now], leeway: .zero)
        #expect(throws: JWTError.expired) { try strict.get() }
    }

    @Test func expiryIsRequiredAndNumeric() throws {
        try Self.expect(["exp": NSNull()], fails: .missingExpiration)
        guard case .failure(.malformed) = try Self.verify(["exp": "1750000600"]) else {
            Issue.record("a string exp was accepted")
            return
        }
        // A fractional NumericDate rounds up: exact against whole seconds.
        #expect(try Self.verify(["exp": Double(Self.now) + 100.25]).get().expiresAt == Self.now + 101)
        guard case .failure(.malformed) = try Self.verify(["exp": 1e300]) else {
            Issue.record("exp 1e300 was accepted")
            return
        }
        // At Int64's edge the leeway saturates instead of wrapping into the past.
        #expect(try Self.verify(["exp": Int64.max]).get().expiresAt == .max)
    }

    @Test func notBeforeAllowsTheLeeway() throws {
        try Self.expect(["nbf": Self.now + 60], fails: .notYetValid)
        try Self.expect(["nbf": Self.now + 31], fails: .notYetValid)
        #expect(try Self.verify(["nbf": Self.now + 30]).get().notBefore == Self.now + 30)
        #expect(try Self.verify(["nbf": Self.now + 20]).get().subject == "device-7")
        #expect(try Self.verify(["nbf": Self.now - 100]).get().notBefore == Self.now - 100)
        guard case .failure(.malformed) = try Self.verify(["nbf": true]) else {
            Issue.record("a boolean nbf was accepted")
            return
        }
    }

    @Test func subjectIsRequired() throws {
        try Self.expect(["sub": NSNull()], fails: .missingSubject)
        try Self.expect(["sub": ""], fails: .missingSubject)
        try Self.expect(["sub": 7], fails: .missingSubject)
        try Self.expect(["sub": ["device-7"]], fails: .missingSubject)
    }

    @Test func issuerIsCheckedWhenConfigured() throws {
        try Self.expect(["iss": "https://other.example"], fails: .wrongIssuer)
        try Self.expect(["iss": "https://issuer.example/"], fails: .wrongIssuer)
        try Self.expect(["iss": NSNull()], fails: .wrongIssuer)
        #expect(try Self.verify(["iss": "https://other.example"], issuer: nil).get().issuer == "https://other.example")
        #expect(try Self.verify(["iss": NSNull()], issuer: nil).get().issuer == nil)
    }

    @Test func audienceMayBeAStringOrAnArray() throws {
        try Self.expect(["aud": "other"], fails: .wrongAudience)
        try Self.expect(["aud": "zkgate2"], fails: .wrongAudience)
        try Self.expect(["aud": ["other", "another"]], fails: .wrongAudience)
        try Self.expect(["aud": [String]()], fails: .wrongAudience)
        try Self.expect(["aud": NSNull()], fails: .wrongAudience)
        #expect(try Self.verify(["aud": ["other", "zkgate"]]).get().audience == ["other", "zkgate"])
        #expect(try Self.verify(["aud": "other"], audience: nil).get().audience == ["other"])
        guard case .failure(.malformed) = try Self.verify(["aud": ["zkgate", 7]]) else {
            Issue.record("an audience array with a number was accepted")
            return
        }
    }

    @Test func refusalsOfClaimsComeOnlyAfterTheSignature() throws {
        // An expired token with a broken signature is a bad signature, not an expired token.
        let signer = try JWTVerifierTests.fixture.get()
        let token = try signer.token(.ed, payload: TestSigner.claims(["exp": Self.now - 1000]))
        var signature = decodedPart(token, 2)
        signature[0] ^= 0x80
        let verifier = JWTVerifier(keys: try JWKS(json: signer.jwks([.ed])), issuer: nil, audience: nil)
        #expect(throws: JWTError.badSignature) {
            try verifier.verify(Array(replacingPart(token, 2, with: base64url(signature)).utf8), now: Self.now)
        }
    }
}
