import Credentials
import Foundation
import TestSupport
import Testing

/// Loading a JWKS: the keys openssl made, and errors that name the member at fault.
@Suite("JWKS")
struct JWKSTests {
    static func error(_ keys: [[String: Any]]) -> JWKSError? { error(jsonBytes(["keys": keys])) }

    static func error(_ document: [UInt8]) -> JWKSError? {
        do {
            _ = try JWKS(json: document)
            return nil
        } catch {
            return error
        }
    }

    @Test func theKeysOfEachTypeLoad() throws {
        let signer = try JWTVerifierTests.fixture.get()
        let set = try JWKS(json: signer.jwks([.ec, .rsa, .ed]))
        #expect(set.keys.map(\.id) == ["ec-1", "rsa-1", "ed-1"])
        #expect(set.keys.map(\.algorithm) == [.es256, .rs256, .edDSA])
        #expect(set.keys.map(\.bits) == [256, 2048, 256])
        // Without alg or use, the key's type decides its algorithm.
        let bare = try JWKS(json: jsonBytes(["keys": TestSigner.Key.allCases.map { signer.publicMembers[$0]! }]))
        #expect(bare.keys.map(\.algorithm) == [.es256, .es256, .rs256, .edDSA])
        #expect(bare.keys.allSatisfy { $0.id == nil })
        // Members this verifier does not use are ignored; key_ops may say verify.
        let extra = try JWKS(json: jsonBytes(["keys": [signer.jwk(.ec, extra: ["x5t": "abc", "key_ops": ["verify"]])], "other": 1]))
        #expect(extra.keys.count == 1)
        #expect(try JWKS(json: Array(#"{"keys":[]}"#.utf8)).keys.isEmpty)
    }

    @Test func errorsNameTheKeyAndMember() throws {
        let signer = try JWTVerifierTests.fixture.get()
        let ec = signer.jwk(.ec)
        let rsa = signer.jwk(.rsa)
        let ed = signer.jwk(.ed)
        func without(_ key: [String: Any], _ name: String) -> [String: Any] { key.filter { $0.key != name } }
        let short = [UInt8](repeating: 0xC5, count: 128)  // 1024 bits
        let cases: [([[String: Any]], String, String)] = [
            ([ec.merging(["crv": "P-384"]) { $1 }], "keys[0].crv", "P-384"),
            ([ec, ed.merging(["crv": "X25519"]) { $1 }], "keys[1].crv", "X25519"),
            ([rsa.merging(["n": base64url(short)]) { $1 }], "keys[0].n", "1024 bits"),
            ([ec, rsa.merging(["use": "enc"]) { $1 }], "keys[1].use", "sig"),
            ([ec, without(ec, "y")], "keys[1].y", "missing"),
            ([without(rsa, "e")], "keys[0].e", "missing"),
            ([without(rsa, "n")], "keys[0].n", "missing"),
            ([without(ed, "x")], "keys[0].x", "missing"),
            ([without(ec, "kty")], "keys[0].kty", "missing"),
            ([ec.merging(["kty": "oct", "k": "c2VjcmV0"]) { $1 }], "keys[0].k", "private"),
            ([ec.merging(["kty": "oct"]) { $1 }], "keys[0].kty", "oct"),
            ([ec.merging(["d": "AAAA"]) { $1 }], "keys[0].d", "private"),
            ([rsa.merging(["alg": "ES256"]) { $1 }], "keys[0].alg", "RS256"),
            ([rsa.merging(["alg": "RS384"]) { $1 }], "keys[0].alg", "RS384"),
            ([ec.merging(["alg": "HS256"]) { $1 }], "keys[0].alg", "HS256"),
            ([ec.merging(["x": "not base64url!"]) { $1 }], "keys[0].x", "base64url"),
            ([ec.merging(["x": (ec["x"] as! String) + "="]) { $1 }], "keys[0].x", "base64url"),
            ([ec.merging(["x": base64url([UInt8](repeating: 1, count: 31))]) { $1 }], "keys[0].x", "31 bytes"),
            ([ec.merging(["x": base64url([UInt8](repeating: 1, count: 32))]) { $1 }], "keys[0]", "not a point"),
            ([ec.merging(["kid": 7]) { $1 }], "keys[0].kid", "string"),
            ([ec.merging(["key_ops": ["encrypt"]]) { $1 }], "keys[0].key_ops", "verify"),
            ([rsa.merging(["e": base64url([2])]) { $1 }], "keys[0].e", "odd"),
            ([rsa.merging(["e": base64url([UInt8](repeating: 0xFF, count: 9))]) { $1 }], "keys[0].e", "64 bits"),
        ]
        for (keys, field, reason) in cases {
            guard let error = Self.error(keys) else {
                Issue.record("accepted, expected \(field)")
                continue
            }
            #expect(error.field == field && error.description.contains(reason), "expected \(field) (\(reason)), got \(error)")
            #expect(error.description.hasPrefix(field + ": "))
        }
    }

    @Test func documentErrors() throws {
        #expect(Self.error(Array("not json".utf8))?.field == "")
        #expect(Self.error(Array("[]".utf8))?.field == "")
        #expect(Self.error(Array("{}".utf8))?.field == "keys")
        #expect(Self.error(Array(#"{"keys":{}}"#.utf8))?.field == "keys")
        #expect(Self.error(Array(#"{"keys":[1]}"#.utf8))?.field == "keys[0]")
    }
}
