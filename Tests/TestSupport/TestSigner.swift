import Foundation

/// Keys made for one test run by the openssl command (no key is ever committed), their public
/// halves as JWKs, and tokens signed by openssl: an independent signer, so a mistake in the
/// module's encoding cannot cancel out in its own tests (CredentialsTests), and the keys and
/// tokens the end-to-end tests give the real server. The fixture lives as long as the test
/// process, so it keeps its keys in memory and gives each openssl run a temporary folder of
/// its own, removed as soon as the run ends.
public final class TestSigner: Sendable {
    public enum Key: String, CaseIterable, Sendable {
        /// P-256, kid "ec-1".
        case ec
        /// Another P-256 key, kid "ec-2".
        case ec2
        /// RSA 2048, kid "rsa-1".
        case rsa
        /// Ed25519, kid "ed-1".
        case ed

        public var kid: String {
            switch self {
            case .ec: "ec-1"
            case .ec2: "ec-2"
            case .rsa: "rsa-1"
            case .ed: "ed-1"
            }
        }

        public var algorithm: String {
            switch self {
            case .ec, .ec2: "ES256"
            case .rsa: "RS256"
            case .ed: "EdDSA"
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A fixed clock for every test: tokens carry times around it.
    public static let now: Int64 = 1_750_000_000

    /// Each key's PEM private key.
    public let privateKeys: [Key: [UInt8]]
    /// Each key's public JWK members (kty, crv, x, y, n, e; no kid, alg or use).
    public let publicMembers: [Key: [String: String]]
    /// The RSA key's public half as PEM, the "secret" of the HS256 confusion attack.
    public let rsaPublicPEM: [UInt8]

    public init() throws {
        let directory = try TemporaryDirectory(prefix: "zkgate-jwt")
        defer { directory.remove() }
        let d = directory.path
        try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(d)/ec.pem"])
        try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(d)/ec2.pem"])
        try Self.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "\(d)/rsa.pem"])
        try Self.openssl(["genpkey", "-algorithm", "ED25519", "-out", "\(d)/ed.pem"])
        var members: [Key: [String: String]] = [:]
        for key in [Key.ec, .ec2] {
            // A P-256 SubjectPublicKeyInfo ends with the uncompressed point 04‖x‖y.
            let spki = try Self.openssl(["pkey", "-in", "\(d)/\(key).pem", "-pubout", "-outform", "DER"])
            let point = Array(spki.suffix(65))
            guard spki.count == 91, point[0] == 4 else { throw Failure(description: "unexpected EC public key") }
            members[key] = ["kty": "EC", "crv": "P-256", "x": base64url(point[1...32]), "y": base64url(point[33...64])]
        }
        // An Ed25519 SubjectPublicKeyInfo ends with the 32-byte key.
        let spki = try Self.openssl(["pkey", "-in", "\(d)/ed.pem", "-pubout", "-outform", "DER"])
        guard spki.count == 44 else { throw Failure(description: "unexpected Ed25519 public key") }
        members[.ed] = ["kty": "OKP", "crv": "Ed25519", "x": base64url(spki.suffix(32))]
        let modulus = String(decoding: try Self.openssl(["rsa", "-in", "\(d)/rsa.pem", "-noout", "-modulus"]), as: UTF8.self)
        guard modulus.hasPrefix("Modulus="), let n = hexBytes(String(modulus.dropFirst(8)).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(description: "unexpected RSA modulus output")
        }
        let text = String(decoding: try Self.openssl(["pkey", "-in", "\(d)/rsa.pem", "-pubout", "-text", "-noout"]), as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Exponent:") }),
            let e = UInt64(line.split(separator: " ")[1])
        else { throw Failure(description: "unexpected RSA exponent output") }
        var exponent = withUnsafeBytes(of: e.bigEndian, Array.init)
        while exponent.first == 0 { exponent.removeFirst() }
        members[.rsa] = ["kty": "RSA", "n": base64url(n), "e": base64url(exponent)]
        publicMembers = members
        rsaPublicPEM = try Self.openssl(["pkey", "-in", "\(d)/rsa.pem", "-pubout"])
        var privateKeys: [Key: [UInt8]] = [:]
        for key in Key.allCases {
            privateKeys[key] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(d)/\(key).pem")))
        }
        self.privateKeys = privateKeys
    }

    /// The public JWK of `key`, with its kid and alg unless told otherwise, and `extra` members.
    public func jwk(_ key: Key, kid: Bool = true, alg: Bool = true, extra: [String: Any] = [:]) -> [String: Any] {
        var jwk: [String: Any] = publicMembers[key]!
        if kid { jwk["kid"] = key.kid }
        if alg { jwk["alg"] = key.algorithm }
        jwk["use"] = "sig"
        return jwk.merging(extra) { $1 }
    }

    /// A JWKS document of `keys`.
    public func jwks(_ keys: [Key]) -> [UInt8] { jsonBytes(["keys": keys.map { jwk($0) }]) }

    /// Claims valid at `time` (the fixed `now` unless told: a server checks them against its
    /// own clock), for `time + 600` seconds, with `changes` applied (NSNull removes).
    public static func claims(_ changes: [String: Any] = [:], at time: Int64 = now) -> [String: Any] {
        var claims: [String: Any] = [
            "sub": "device-7", "iss": "https://issuer.example", "aud": "zkgate", "iat": time, "exp": time + 600,
        ]
        for (name, value) in changes {
            claims[name] = value is NSNull ? nil : value
        }
        return claims
    }

    /// A compact JWS of `payload` signed with `key`; the header names the key's algorithm and
    /// kid unless `header` says otherwise (NSNull removes a member).
    public func token(_ key: Key, payload: [String: Any] = claims(), header: [String: Any] = [:]) throws -> String {
        var fields: [String: Any] = ["alg": key.algorithm, "kid": key.kid, "typ": "JWT"]
        for (name, value) in header {
            fields[name] = value is NSNull ? nil : value
        }
        let input = base64url(jsonBytes(fields)) + "." + base64url(jsonBytes(payload))
        return input + "." + base64url(try sign(Array(input.utf8), with: key))
    }

    /// `key`'s JWS signature of `input`: ECDSA as r‖s, RSA PKCS #1 v1.5, or Ed25519.
    public func sign(_ input: [UInt8], with key: Key) throws -> [UInt8] {
        switch key {
        case .ec, .ec2: try Self.rawECDSA(try derECDSA(input, with: key))
        case .rsa: try openssl(input, key: key) { ["dgst", "-sha256", "-sign", $0, $1] }
        case .ed: try openssl(input, key: key) { ["pkeyutl", "-sign", "-rawin", "-inkey", $0, "-in", $1] }
        }
    }

    /// The DER ECDSA signature of `key` over `input`, as openssl writes it.
    public func derECDSA(_ input: [UInt8], with key: Key) throws -> [UInt8] {
        try openssl(input, key: key) { ["dgst", "-sha256", "-sign", $0, $1] }
    }

    /// HMAC-SHA256 of `input` under `secret`.
    public func hmac(_ input: [UInt8], secret: [UInt8]) throws -> [UInt8] {
        let hex = secret.map { String(format: "%02x", $0) }.joined()
        return try openssl(input) { ["dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:\(hex)", "-binary", $1] }
    }

    /// SHA-256 of `bytes`, by openssl.
    public func sha256(_ bytes: [UInt8]) throws -> [UInt8] {
        try openssl(bytes) { ["dgst", "-sha256", "-binary", $1] }
    }

    /// openssl's output for `arguments(keyPath, inputPath)`, with `input` and `key`'s private
    /// key in files of a folder of their own, removed on return.
    private func openssl(_ input: [UInt8], key: Key? = nil, _ arguments: (String, String) -> [String]) throws -> [UInt8] {
        let folder = try TemporaryDirectory(prefix: "zkgate-jwt")
        defer { folder.remove() }
        let keyPath = folder.file("key.pem")
        let inputPath = folder.file("input")
        if let key { try Data(privateKeys[key]!).write(to: URL(fileURLWithPath: keyPath)) }
        try Data(input).write(to: URL(fileURLWithPath: inputPath))
        return try Self.openssl(arguments(keyPath, inputPath))
    }

    /// openssl's DER `ECDSA-Sig-Value` (SEQUENCE of two INTEGERs) as JWS's r‖s, 32 bytes each.
    public static func rawECDSA(_ der: [UInt8]) throws -> [UInt8] {
        var i = 0
        func next() throws -> UInt8 {
            guard i < der.count else { throw Failure(description: "short DER signature") }
            defer { i += 1 }
            return der[i]
        }
        guard try next() == 0x30 else { throw Failure(description: "not a DER SEQUENCE") }
        _ = try next()  // Under 128 bytes for P-256: a one-byte length.
        var raw: [UInt8] = []
        for _ in 0..<2 {
            guard try next() == 0x02 else { throw Failure(description: "not a DER INTEGER") }
            let length = Int(try next())
            guard i + length <= der.count else { throw Failure(description: "short DER INTEGER") }
            var integer = Array(der[i..<(i + length)])
            i += length
            while integer.count > 32, integer.first == 0 { integer.removeFirst() }
            guard integer.count <= 32 else { throw Failure(description: "INTEGER over 32 bytes") }
            raw += [UInt8](repeating: 0, count: 32 - integer.count) + integer
        }
        return raw
    }

    /// openssl's standard output, or an error with its standard error.
    @discardableResult
    public static func openssl(_ arguments: [String]) throws -> [UInt8] {
        let result = try runCommand("/usr/bin/openssl", arguments)
        guard result.status == 0 else {
            throw Failure(description: "openssl \(arguments.prefix(2).joined(separator: " ")): \(result.stderr)")
        }
        return result.stdout
    }
}

/// Unpadded base64url, through Foundation's base64 (independent of the module's).
public func base64url(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}

/// The bytes of hex text, either case.
public func hexBytes(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    return stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16) }
}

/// A token with one part replaced.
public func replacingPart(_ token: String, _ index: Int, with part: String) -> String {
    var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    parts[index] = part
    return parts.joined(separator: ".")
}

/// The decoded bytes of a base64url part.
public func decodedPart(_ token: String, _ index: Int) -> [UInt8] {
    var text = String(token.split(separator: ".", omittingEmptySubsequences: false)[index])
        .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while text.count % 4 != 0 { text += "=" }
    return [UInt8](Data(base64Encoded: text)!)
}
