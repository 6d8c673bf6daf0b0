import Credentials
import TestSupport
import Testing

/// The per-loop cache of verified tokens.
@Suite("Verified-token cache")
struct VerifiedTokenCacheTests {
    static let now = TestSigner.now

    static func verifier() throws -> JWTVerifier {
        let signer = try JWTVerifierTests.fixture.get()
        return JWTVerifier(keys: try JWKS(json: signer.jwks([.ec, .ed])), issuer: nil, audience: "zkgate")
    }

    /// A made-up entry expiring at `exp`, keyed by the digest of `name`.
    static func entry(_ name: String, exp: Int64 = now + 600) -> (SHA256Digest, VerifiedToken) {
        (SHA256.hash(Array(name.utf8)), VerifiedToken(subject: name, expiresAt: exp, algorithm: .edDSA))
    }

    @Test func aVerifiedTokenIsAHitUntilItsExpiry() throws {
        let signer = try JWTVerifierTests.fixture.get()
        let verifier = try Self.verifier()
        let token = Array(try signer.token(.ec, payload: TestSigner.claims(["exp": Self.now + 100])).utf8)
        let cache = VerifiedTokenCache(capacity: 16)
        #expect(cache.lookup(SHA256.hash(token), now: Self.now) == nil)
        let first = try cache.verify(token, with: verifier, now: Self.now)
        #expect(cache.count == 1 && cache.generation == verifier.generation)
        #expect(cache.lookup(SHA256.hash(token), now: Self.now) == first)
        #expect(try cache.verify(token, with: verifier, now: Self.now + 50) == first)
        #expect(cache.lookup(SHA256.hash(token), now: Self.now + 99) == first)
        // At exp the entry is gone, though the leeway still lets a full verification pass;
        // that result is not cached.
        #expect(cache.lookup(SHA256.hash(token), now: Self.now + 100) == nil)
        #expect(cache.count == 0)
        #expect(try cache.verify(token, with: verifier, now: Self.now + 110) == first)
        #expect(cache.count == 0)
        #expect(throws: JWTError.expired) { try cache.verify(token, with: verifier, now: Self.now + 130) }
    }

    @Test func refusalsAreNotCached() throws {
        let signer = try JWTVerifierTests.fixture.get()
        let cache = VerifiedTokenCache()
        let verifier = try Self.verifier()
        let wrongAudience = Array(try signer.token(.ed, payload: TestSigner.claims(["aud": "other"])).utf8)
        for _ in 0..<2 {
            #expect(throws: JWTError.wrongAudience) { try cache.verify(wrongAudience, with: verifier, now: Self.now) }
        }
        #expect(cache.count == 0)
        let huge = [UInt8](repeating: UInt8(ascii: "A"), count: 9000)
        #expect(throws: JWTError.malformed("longer than 8192 bytes")) { try cache.verify(huge, with: verifier, now: Self.now) }
    }

    @Test func aNewVerifierEmptiesTheCache() throws {
        let signer = try JWTVerifierTests.fixture.get()
        let cache = VerifiedTokenCache()
        let old = try Self.verifier()
        let token = Array(try signer.token(.ec).utf8)
        _ = try cache.verify(token, with: old, now: Self.now)
        #expect(cache.count == 1)
        // The reloaded set no longer has the EC key: the cached result must not outlive it.
        let reloaded = JWTVerifier(keys: try JWKS(json: signer.jwks([.ed])), issuer: nil, audience: "zkgate")
        #expect(throws: JWTError.unknownKey) { try cache.verify(token, with: reloaded, now: Self.now) }
        #expect(cache.count == 0 && cache.generation == reloaded.generation)
        _ = try cache.verify(Array(try signer.token(.ed).utf8), with: reloaded, now: Self.now)
        #expect(cache.count == 1)
        cache.removeAll()
        #expect(cache.count == 0)
        #expect(cache.lookup(SHA256.hash(Array(try signer.token(.ed).utf8)), now: Self.now) == nil)
    }

    @Test func capacityBoundsTheEntriesAndHitEntriesStay() {
        let cache = VerifiedTokenCache(capacity: 4)
        for name in ["a", "b", "c", "d"] {
            let (digest, token) = Self.entry(name)
            cache.insert(token, for: digest, now: Self.now)
        }
        #expect(cache.count == 4)
        // a and c are in use; two newcomers replace b and d.
        #expect(cache.lookup(Self.entry("a").0, now: Self.now)?.subject == "a")
        #expect(cache.lookup(Self.entry("c").0, now: Self.now)?.subject == "c")
        for name in ["e", "f"] {
            let (digest, token) = Self.entry(name)
            cache.insert(token, for: digest, now: Self.now)
        }
        #expect(cache.count == 4)
        let present = ["a", "b", "c", "d", "e", "f"].filter { cache.lookup(Self.entry($0).0, now: Self.now) != nil }
        #expect(present == ["a", "c", "e", "f"])
        // Many more: the bound holds.
        for i in 0..<1000 {
            let (digest, token) = Self.entry("n\(i)")
            cache.insert(token, for: digest, now: Self.now)
            #expect(cache.count <= 4)
        }
        #expect(cache.lookup(Self.entry("n999").0, now: Self.now)?.subject == "n999")
    }

    @Test func anExpiredEntryGoesBeforeOneInUse() {
        let cache = VerifiedTokenCache(capacity: 3)
        for (name, exp) in [("a", Self.now + 600), ("b", Self.now + 10), ("c", Self.now + 600)] {
            let (digest, token) = Self.entry(name, exp: exp)
            cache.insert(token, for: digest, now: Self.now)
        }
        let later = Self.now + 20
        for name in ["a", "c"] { #expect(cache.lookup(Self.entry(name).0, now: later) != nil) }
        let (digest, token) = Self.entry("d")
        cache.insert(token, for: digest, now: later)
        let present = ["a", "b", "c", "d"].filter { cache.lookup(Self.entry($0).0, now: later) != nil }
        #expect(present == ["a", "c", "d"])
        // An entry already expired is not stored at all.
        let (stale, old) = Self.entry("e", exp: later)
        cache.insert(old, for: stale, now: later)
        #expect(cache.lookup(stale, now: later) == nil)
    }
}
