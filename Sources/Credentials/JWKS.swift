import COpenSSL
import JSON

/// A JSON Web Key Set (RFC 7517 §5): the public keys that tokens may be signed with.
///
/// Accepted keys: `kty` `EC` with `crv` `P-256` (`x`, `y`), `kty` `RSA` (`n`, `e`; a modulus of
/// 2048 to 16384 bits), `kty` `OKP` with `crv` `Ed25519` (`x`). `kid` is optional; `alg`, when
/// present, must be the key's one algorithm; `use`, when present, must be `sig`, and `key_ops`
/// must include `verify`. Every key must be usable: an unusable one is an error, not skipped,
/// so that a mistake in the set shows when it is loaded rather than as refused tokens later.
public struct JWKS: Sendable {
    public let keys: [JWK]

    /// A JWKS document is configuration, but may come from an identity provider; these bounds
    /// leave room for certificate chains (`x5c`) and large RSA moduli.
    static let limits = JSONParser.Limits(maxDepth: 8, maxMembers: 256, maxElements: 10_000, maxStringBytes: 65_536)

    public init(_ keys: [JWK]) { self.keys = keys }

    /// Parses a JWKS document (`{"keys": [...]}`).
    ///
    /// - Throws: `JWKSError` naming the member at fault: JSON that does not parse, `keys`
    ///   missing or not an array, a key of another type or curve (`keys[0].crv`), a member
    ///   missing or not base64url (`keys[1].n`), an RSA modulus under 2048 bits, `use` other
    ///   than `sig`, an `alg` the key cannot have, a private member (`d`), or a point that is
    ///   not on the curve.
    public init(json: [UInt8]) throws(JWKSError) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(json, limits: Self.limits)
        } catch {
            throw JWKSError("", "not a JSON document: \(error)")
        }
        guard let object = document.objectValue else { throw JWKSError("", "a JWKS is an object, not \(document.typeName)") }
        guard let value = object["keys"] else { throw JWKSError("keys", "missing") }
        guard let entries = value.arrayValue else { throw JWKSError("keys", "an array, not \(value.typeName)") }
        var keys: [JWK] = []
        for (index, entry) in entries.enumerated() {
            keys.append(try Self.key(entry, path: "keys[\(index)]"))
        }
        self.keys = keys
    }

    /// The keys a token signed with `algorithm` may be checked against: those of that
    /// algorithm with id `keyID`, or all of that algorithm when the token names no key.
    func candidates(_ algorithm: JWTAlgorithm, keyID: String?) -> [JWK] {
        keys.filter { $0.algorithm == algorithm && (keyID == nil || $0.id == keyID) }
    }
}

extension JWKS {
    static func key(_ value: JSONValue, path: String) throws(JWKSError) -> JWK {
        guard let members = value.objectValue else { throw JWKSError(path, "a key is an object, not \(value.typeName)") }
        let key = Members(members, path: path)
        let type = try key.required("kty")
        let id = try key.string("kid")
        if let use = try key.string("use"), use != "sig" {
            throw JWKSError("\(path).use", "must be \"sig\" for a verification key, not \"\(use)\"")
        }
        try key.checkOperations()
        for privateMember in ["d", "p", "q", "dp", "dq", "qi", "k"] where members[privateMember] != nil {
            throw JWKSError("\(path).\(privateMember)", "private key material has no place in a verification key set")
        }
        let algorithm: JWTAlgorithm
        let made: OpaquePointer?
        switch type {
        case "EC":
            let curve = try key.required("crv")
            guard curve == "P-256" else { throw JWKSError("\(path).crv", "\"\(curve)\" is not supported (P-256 only)") }
            algorithm = .es256
            made = JWK.p256(x: try key.bytes("x", count: 32), y: try key.bytes("y", count: 32))
            if made == nil { throw JWKSError("\(path)", "x, y: not a point on P-256") }
        case "RSA":
            algorithm = .rs256
            made = try rsa(key)
        case "OKP":
            let curve = try key.required("crv")
            guard curve == "Ed25519" else { throw JWKSError("\(path).crv", "\"\(curve)\" is not supported (Ed25519 only)") }
            algorithm = .edDSA
            made = JWK.ed25519(try key.bytes("x", count: 32))
            if made == nil { throw JWKSError("\(path).x", "not an Ed25519 public key") }
        default:
            throw JWKSError("\(path).kty", "\"\(type)\" is not supported (EC, RSA or OKP)")
        }
        guard let made else { throw JWKSError(path, "OpenSSL refused the key") }
        if let name = try key.string("alg"), name != algorithm.rawValue {
            EVP_PKEY_free(made)
            throw JWKSError("\(path).alg", "\"\(name)\" does not fit this key, which verifies \(algorithm.rawValue) only")
        }
        return JWK(id: id, algorithm: algorithm, key: made)
    }

    /// RSA's bounds: 2048 bits at least (NIST SP 800-131A; shorter moduli are within reach of
    /// factoring), 16384 at most (OpenSSL's own limit, and verification cost grows with it).
    /// The exponent must be odd, at least 3 and fit 64 bits, which OpenSSL requires of large
    /// moduli and which keeps verification cheap (the usual exponent is 65537).
    static func rsa(_ key: Members) throws(JWKSError) -> OpaquePointer? {
        let modulusBytes = try key.bytes("n")
        let exponentBytes = try key.bytes("e")
        guard let modulus = BN_bin2bn(modulusBytes, Int32(modulusBytes.count), nil) else { return nil }
        defer { BN_free(modulus) }
        guard let exponent = BN_bin2bn(exponentBytes, Int32(exponentBytes.count), nil) else { return nil }
        defer { BN_free(exponent) }
        let bits = Int(BN_num_bits(modulus))
        guard bits >= 2048 else { throw JWKSError("\(key.path).n", "a modulus of \(bits) bits, under the 2048 required") }
        guard bits <= 16384 else { throw JWKSError("\(key.path).n", "a modulus of \(bits) bits, over the 16384 allowed") }
        let exponentBits = Int(BN_num_bits(exponent))
        guard BN_is_odd(exponent) == 1, exponentBits >= 2, exponentBits <= 64 else {
            throw JWKSError("\(key.path).e", "the exponent must be odd, at least 3 and at most 64 bits")
        }
        guard let made = JWK.rsa(modulus: modulus, exponent: exponent) else {
            throw JWKSError(key.path, "n, e: OpenSSL refused the RSA key")
        }
        return made
    }

    /// A key's members, read with errors that name them.
    struct Members {
        let members: JSONObject
        let path: String

        init(_ members: JSONObject, path: String) {
            self.members = members
            self.path = path
        }

        /// The string member `name`, nil when absent.
        func string(_ name: String) throws(JWKSError) -> String? {
            guard let value = members[name] else { return nil }
            guard let string = value.stringValue else { throw JWKSError("\(path).\(name)", "a string, not \(value.typeName)") }
            return string
        }

        func required(_ name: String) throws(JWKSError) -> String {
            guard let string = try string(name) else { throw JWKSError("\(path).\(name)", "missing") }
            return string
        }

        /// The base64url member `name`, decoded; of exactly `count` bytes when given.
        func bytes(_ name: String, count: Int? = nil) throws(JWKSError) -> [UInt8] {
            let text = try required(name)
            guard let bytes = Base64URL.decode(text), !bytes.isEmpty else {
                throw JWKSError("\(path).\(name)", "not unpadded base64url")
            }
            if let count, bytes.count != count {
                throw JWKSError("\(path).\(name)", "\(bytes.count) bytes, not \(count)")
            }
            return bytes
        }

        /// `key_ops`, when present, must allow verification.
        func checkOperations() throws(JWKSError) {
            guard let value = members["key_ops"] else { return }
            guard let operations = value.arrayValue, operations.allSatisfy({ $0.stringValue != nil }) else {
                throw JWKSError("\(path).key_ops", "an array of strings")
            }
            guard operations.contains(.string("verify")) else {
                throw JWKSError("\(path).key_ops", "does not include \"verify\"")
            }
        }
    }
}
