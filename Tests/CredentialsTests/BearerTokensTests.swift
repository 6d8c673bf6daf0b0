import Credentials
import Foundation
import TestSupport
import Testing

/// Bearer tokens identified by their SHA-256 digests (computed here by openssl).
@Suite("Bearer tokens")
struct BearerTokensTests {
    /// 43-character base64url tokens, as `openssl rand -base64 32` (made url-safe) writes them.
    static let tokens = [
        "q8bF3v1ZxPjW0YbZr6m9XkP3Jd8Tn2Lc5Ge7Hs4Ua1E",
        "q8bF3v1ZxPjW0YbZr6m9XkP3Jd8Tn2Lc5Ge7Hs4Ua1F",
        "Zt0_pQy7-Lr2Mw8Nv5Ks3Jh6Gf9Dd1Sa4Pb7Oc0Ie2U",
    ]

    static func policy() throws -> BearerTokens {
        let signer = try JWTVerifierTests.fixture.get()
        return try BearerTokens([
            (id: "device-1", sha256: try signer.sha256(Array(tokens[0].utf8))),
            (id: "device-2", sha256: try signer.sha256(Array(tokens[1].utf8))),
            (id: "operator", sha256: try signer.sha256(Array(tokens[2].utf8))),
        ])
    }

    @Test func identifiesEachToken() throws {
        let policy = try Self.policy()
        #expect(policy.count == 3)
        #expect(policy.identify(Array(Self.tokens[0].utf8)) == "device-1")
        #expect(policy.identify(Array(Self.tokens[1].utf8)) == "device-2")
        #expect(policy.identify(Self.tokens[2].utf8) == "operator")
        #expect(policy.identify(Array(Self.tokens[2].utf8)[...]) == "operator")
    }

    @Test func refusesNearMisses() throws {
        let policy = try Self.policy()
        let token = Array(Self.tokens[2].utf8)
        for position in [0, 1, 21, token.count - 1] {
            var near = token
            near[position] ^= 0x01
            #expect(policy.identify(near) == nil, "byte \(position) off")
        }
        #expect(policy.identify(token.dropLast()) == nil)
        #expect(policy.identify(token.dropFirst()) == nil)
        #expect(policy.identify(token + [UInt8(ascii: "A")]) == nil)
        #expect(policy.identify(token + [0]) == nil)
        #expect(policy.identify([UInt8]()) == nil)
        #expect(policy.identify(Array(Self.tokens[2].lowercased().utf8)) == nil)
        // The digest itself is not a token.
        #expect(policy.identify(SHA256.digest(token)) == nil)
        #expect(policy.identify(Array(Hex.encode(SHA256.digest(token)).utf8)) == nil)
    }

    @Test func anEmptyTokenMatchesEvenAPolicyHoldingItsDigest() throws {
        // A policy can hold the digest of "" by mistake; an empty token still identifies no one.
        let policy = try BearerTokens([(id: "nobody", sha256: SHA256.digest([UInt8]()))])
        #expect(policy.identify([UInt8]()) == nil)
    }

    @Test func policyErrors() throws {
        #expect(throws: BearerTokensError.digestLength(id: "short", count: 31)) {
            try BearerTokens([(id: "short", sha256: [UInt8](repeating: 0, count: 31))])
        }
        let digest = SHA256.digest(Array("token".utf8))
        #expect(throws: BearerTokensError.sharedDigest("a", "b")) {
            try BearerTokens([(id: "a", sha256: digest), (id: "b", sha256: digest)])
        }
        // One id with two tokens (a rotation), and the same entry twice, are fine.
        let rotated = try BearerTokens([(id: "a", sha256: digest), (id: "a", sha256: SHA256.digest(Array("next".utf8))),
                                        (id: "a", sha256: digest)])
        #expect(rotated.count == 2)
        #expect(rotated.identify(Array("next".utf8)) == "a" && rotated.identify(Array("token".utf8)) == "a")
    }
}

/// SHA-256, hex, base64url and constant-time comparison.
@Suite("Digest helpers")
struct DigestTests {
    @Test func sha256KnownAnswers() throws {
        // FIPS 180-2 examples.
        #expect(Hex.encode(SHA256.digest([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.digest(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // A collection without contiguous storage.
        #expect(SHA256.digest((0..<3).lazy.map { UInt8(ascii: "a") + UInt8($0) }) == SHA256.digest(Array("abc".utf8)))
        let signer = try JWTVerifierTests.fixture.get()
        let bytes = (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(SHA256.digest(bytes) == (try signer.sha256(bytes)))
        #expect(SHA256.hash(bytes).bytes == SHA256.digest(bytes))
        #expect(SHA256.hash(bytes).description == Hex.encode(SHA256.digest(bytes)))
    }

    @Test func digestValues() {
        let a = SHA256.hash(Array("a".utf8))
        #expect(SHA256Digest(a.bytes) == a)
        #expect(SHA256Digest([UInt8](repeating: 0, count: 31)) == nil)
        #expect(SHA256Digest([UInt8](repeating: 0, count: 33)) == nil)
        var last = a.bytes
        last[31] ^= 1
        #expect(SHA256Digest(last) != a)
        #expect(Set([a, SHA256Digest(a.bytes)!, SHA256.hash(Array("b".utf8))]).count == 2)
    }

    @Test func hex() {
        #expect(Hex.encode([0x00, 0x0F, 0xA5, 0xFF]) == "000fa5ff")
        #expect(Hex.decode("000fA5ff") == [0x00, 0x0F, 0xA5, 0xFF])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("0x00") == nil)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [0, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equal([], [0]))
        #expect(ConstantTime.equal([], []))
    }

    /// Eight bytes a step and then the tail: a difference at every position of every length
    /// up to 40, in each bit, is found; equal copies are equal.
    @Test func constantTimeEqualityEveryPosition() {
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(ConstantTime.equal(bytes, Array(bytes)))
            for position in 0..<length {
                for bit in 0..<8 {
                    var other = bytes
                    other[position] ^= 1 << bit
                    #expect(!ConstantTime.equal(bytes, other), "length \(length), byte \(position), bit \(bit)")
                }
            }
        }
    }

    @Test func base64URLAgreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == base64url(bytes))
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }

    @Test func base64URLIsStrict() {
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode("QQ") == [0x41])
        #expect(Base64URL.decode("QUI") == [0x41, 0x42])
        #expect(Base64URL.decode("QQ==") == nil)
        #expect(Base64URL.decode("QUI=") == nil)
        // Non-zero unused bits: another spelling of the same bytes.
        #expect(Base64URL.decode("QR") == nil)
        #expect(Base64URL.decode("QUJ") == nil)
        #expect(Base64URL.decode("Q") == nil)
        #expect(Base64URL.decode("QUJDR") == nil)
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
        #expect(Base64URL.decode("+/+/") == nil)
        #expect(Base64URL.decode("QU I") == nil)
        #expect(Base64URL.decode("QUI\n") == nil)
        #expect(Base64URL.decode("QUIé") == nil)
    }
}
