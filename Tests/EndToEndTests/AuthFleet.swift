import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Shared helpers of the access-control end-to-end suites (Auth*EndToEndTests): the real zkgate
// under the worked fleet policy, and requests sent as each kind of principal.

/// Who sends a request.
enum Who: Sendable, CustomStringConvertible {
    /// No credentials at all.
    case anonymous
    /// `Authorization: Bearer <token>`: an opaque token of the policy, or a JWT.
    case bearer(String)
    /// A client certificate issued by the fleet's CA, by file name (`dev1` is `dev1.pem` and
    /// `dev1.key`), sent over the TLS listener.
    case cert(String)

    var description: String {
        switch self {
        case .anonymous: "anonymous"
        case .bearer(let token): "bearer \(token.prefix(12))…"
        case .cert(let name): "certificate \(name)"
        }
    }
}

/// How a request travels.
enum Wire: String, Sendable, CaseIterable, CustomStringConvertible {
    /// HTTP/1.1: a raw socket on the plain port (every byte of the target as written), or curl
    /// `--http1.1` over TLS for a certificate.
    case http1
    /// HTTP/2: curl `--http2-prior-knowledge` on the plain port, or curl `--http2` (ALPN h2)
    /// over TLS for a certificate.
    case http2

    var description: String { rawValue }
}

/// zkgate under the worked fleet policy: an operator's bearer token (`admin` on `/**`), devices
/// by client certificate (`cert:dev1`, `cert:dev2`) and by JWT (`jwt:<sub>`) with their own
/// subtree, read access to `/config/**` and `/firmware/current`, printer locks, their own
/// service instance and the leader election, and anonymous reads of `/public/**`. A plain
/// listener and a TLS listener that asks for (but does not require) a client certificate.
///
/// Each instance has its own server, data folder and policy file, so tests run in parallel.
final class AuthFleet {
    static let operatorToken = "ops-7Qm2xV9kLp4RtZ8wYc3NbH6jD1fG5sA0"
    static let issuer = "https://issuer.example"
    static let audience = "zkgate"
    static let administrator = Who.bearer(operatorToken)

    /// The test CA's certificates, with the devices' and some whose CN is unsafe in a path.
    static let certificates = Result { () throws -> TestCertificates in
        let certificates = try TestCertificates()
        for (file, commonName) in [("dev1", "dev1"), ("dev2", "dev2"), ("slash", #"dev\/1"#), ("dotdot", ".."), ("star", "*")] {
            try certificates.issue(file, by: "ca", subject: "/CN=\(commonName)", san: "DNS:\(file).fleet.example")
        }
        return certificates
    }

    static let signers = Result { try TestSigner() }

    /// The grants of the worked fleet, in this order (explanations name them by index).
    static var fleetGrants: [[String: Any]] { [
        ["who": ["token:ops"], "allow": ["admin"], "paths": ["/**"]],
        ["who": ["cert:*", "jwt:*"], "allow": ["read", "write"], "paths": ["/devices/{name}/**"]],
        ["who": ["cert:*", "jwt:*"], "allow": ["read"], "paths": ["/config/**", "/firmware/current"]],
        ["who": ["cert:*", "jwt:*"], "allow": ["lock"], "paths": ["/locks/printers/*"]],
        ["who": ["cert:*", "jwt:*"], "allow": ["register"], "paths": ["/services/api/{name}"]],
        ["who": ["cert:*", "jwt:*"], "allow": ["elect"], "paths": ["/elections/leader"]],
        ["who": ["anonymous"], "allow": ["read"], "paths": ["/public/**"]],
    ] }

    /// The policy document: the operator's token by its SHA-256 (computed by openssl, not by
    /// the gateway) and `grants`.
    static func policy(grants: [[String: Any]] = fleetGrants, tokens: [String: String] = ["ops": operatorToken]) throws
        -> [String: Any]
    {
        let signer = try signers.get()
        let entries = try tokens.sorted { $0.key < $1.key }.map { id, token in
            ["id": id, "sha256": try signer.sha256(Array(token.utf8)).map { String(format: "%02x", $0) }.joined()]
        }
        return ["tokens": entries, "grants": grants]
    }

    let certificates: TestCertificates
    let signer: TestSigner
    let folder: TemporaryDirectory
    let policyFile: String
    let jwksFile: String
    let server: V1Server
    /// The TLS listener's port (certificates are sent there).
    let tlsPort: UInt16

    /// Starts zkgate with `policy` (the fleet's unless told), the ES256 and RS256 keys as its
    /// JWKS, and seeds a few nodes as the operator.
    init(policy: [String: Any]? = nil) throws {
        certificates = try Self.certificates.get()
        signer = try Self.signers.get()
        folder = try TemporaryDirectory(prefix: "zkgate-auth")
        policyFile = folder.file("policy.json")
        jwksFile = folder.file("jwks.json")
        try Self.write(jsonBytes(try policy ?? Self.policy()), to: policyFile)
        try Self.write(signer.jwks([.ec, .rsa]), to: jwksFile)
        server = try V1Server([
            "--auth-policy", policyFile, "--auth-jwks", jwksFile,
            "--auth-jwt-issuer", Self.issuer, "--auth-jwt-audience", Self.audience,
            "--tls-listen", "127.0.0.1:0", "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
            "--tls-client-ca", certificates.ca, "--tls-client-auth", "optional",
        ])
        let log = server.process.stderr.text
        tlsPort = try #require(log.firstMatch(of: /tlsAddress=127\.0\.0\.1:(\d+)/).flatMap { UInt16($0.1) }, "\(log)")
        for (node, text) in [
            ("/devices/dev1/status", "dev1 ok"), ("/devices/dev2/status", "dev2 ok"), ("/devices/dev3/status", "dev3 ok"),
            ("/config/fleet", #"{"level":"info"}"#), ("/public/info", "hello"), ("/firmware/current", "1.2.3"),
            ("/firmware/next", "2.0.0-beta"), ("/secret/plans", "classified"),
        ] {
            let created = try send("PUT", "/v1/nodes\(node)?parents=true", as: Self.administrator, json: ["data": text])
            guard created.status == 201 else { throw HTTPClientError.malformed("seeding \(node): \(created)") }
        }
    }

    func stop() { server.stop() }

    /// Replaces a file whole (written beside it, then renamed), so a reload never reads half.
    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// A JWT for `sub` signed with `key`, valid now (the server's clock) for ten minutes, with
    /// `changes` to its claims (NSNull removes one) and `header`.
    func jwt(_ sub: String, key: TestSigner.Key = .ec, changes: [String: Any] = [:], header: [String: Any] = [:]) throws
        -> String
    {
        var claims: [String: Any] = ["sub": sub]
        claims.merge(changes) { $1 }
        return try signer.token(key, payload: TestSigner.claims(claims, at: Int64(Date().timeIntervalSince1970)), header: header)
    }

    // MARK: Requests

    /// One request as `who`, over `wire`; a JSON body when `json` is given.
    func send(
        _ method: String, _ target: String, as who: Who, json: Any? = nil, headers: [(String, String)] = [],
        over wire: Wire = .http1
    ) throws -> HTTPTestResponse {
        var headers = headers
        let body = json.map(jsonBytes)
        if body != nil { headers.append(("Content-Type", "application/json")) }
        switch who {
        case .anonymous:
            break
        case .bearer(let token):
            headers.append(("Authorization", "Bearer \(token)"))
        case .cert(let name):
            return try curl(method, "https://localhost:\(tlsPort)\(target)", headers: headers, body: body, certificate: name,
                over: wire)
        }
        switch wire {
        case .http1: return try server.connect().request(method, target, headers: headers, body: body)
        case .http2: return try curl(method, server.base + target, headers: headers, body: body, certificate: nil, over: wire)
        }
    }

    /// A request by curl: over TLS with the named client certificate, or in plain text.
    func curl(
        _ method: String, _ url: String, headers: [(String, String)], body: [UInt8]?, certificate: String?, over wire: Wire
    ) throws -> HTTPTestResponse {
        var arguments = ["-s", "-i", "--path-as-is", "--max-time", "10", "-X", method]
        switch (wire, certificate) {
        case (.http1, _): arguments.append("--http1.1")
        case (.http2, nil): arguments.append("--http2-prior-knowledge")
        case (.http2, _): arguments.append("--http2")
        }
        if let certificate {
            arguments += ["--cacert", certificates.ca, "--cert", certificates.directory.file("\(certificate).pem"),
                "--key", certificates.directory.file("\(certificate).key")]
        }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body { arguments += ["--data-binary", String(decoding: body, as: UTF8.self)] }
        arguments.append(url)
        let result = try runCommand(curlPath!, arguments)
        guard result.status == 0 else {
            throw HTTPClientError.malformed("curl \(method) \(url) exited \(result.status): \(result.stderr)")
        }
        return try Self.parseCurlOutput(result.stdout)
    }

    /// curl `-i` output (heads of interim answers first) as the final response.
    static func parseCurlOutput(_ output: [UInt8]) throws -> HTTPTestResponse {
        var rest = output[...]
        while true {
            guard let end = rest.firstRange(of: [13, 10, 13, 10]) else {
                throw HTTPClientError.malformed("no head in curl output: \(String(decoding: output, as: UTF8.self))")
            }
            let head = String(decoding: rest[..<end.lowerBound], as: UTF8.self)
            let lines = head.components(separatedBy: "\r\n")
            let status = lines[0].split(separator: " ", maxSplits: 2)
            guard status.count >= 2, let code = Int(status[1]) else {
                throw HTTPClientError.malformed("status line \(lines[0].debugDescription)")
            }
            rest = rest[end.upperBound...]
            if (100..<200).contains(code) { continue }
            let fields = lines.dropFirst().compactMap { line -> HTTPTestResponse.Field? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return .init(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            return HTTPTestResponse(
                version: String(status[0]), status: code, reason: status.count > 2 ? String(status[2]) : "", headers: fields,
                body: Array(rest))
        }
    }

    /// A request as the operator (`admin` on `/**`), over HTTP/1.1.
    func asOperator(_ method: String, _ target: String, json: Any? = nil) throws -> HTTPTestResponse {
        try send(method, target, as: Self.administrator, json: json)
    }

    /// Opens a device session as `who`; its id.
    func openSession(as who: Who, over wire: Wire = .http1) throws -> String {
        let opened = try send("POST", "/v1/sessions", as: who, json: ["ttl": 60_000], over: wire)
        guard opened.status == 201, let id = opened.object["id"] as? String else {
            throw HTTPClientError.malformed("POST /v1/sessions as \(who): \(opened)")
        }
        return id
    }

    /// Every node under `path`, each with its data and stat, read by the operator: two equal
    /// snapshots mean nothing under `path` changed.
    func snapshot(_ path: String = "/") throws -> [String: String] {
        var result: [String: String] = [:]
        var stack = [path]
        while let next = stack.popLast() {
            let read = try asOperator("GET", "/v1/nodes" + (next == "/" ? "/" : next) + "?children=true")
            guard read.status == 200 else {
                result[next] = "\(read.status)"
                continue
            }
            result[next] = read.bodyText
            for child in read.children ?? [] { stack.append(next == "/" ? "/" + child : next + "/" + child) }
        }
        return result
    }

    /// Whether the operator finds a node at `path`.
    func exists(_ path: String) throws -> Bool {
        let read = try asOperator("GET", "/v1/nodes" + path)
        guard read.status == 200 || read.status == 404 else { throw HTTPClientError.malformed("GET \(path): \(read)") }
        return read.status == 200
    }
}

// MARK: Expectations

/// 403 `forbidden`, naming the operation and the path refused.
func expectForbidden(
    _ response: HTTPTestResponse, operation: String, path: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectProblem(response, status: 403, type: "forbidden", sourceLocation: sourceLocation)
    #expect(response.object["operation"] as? String == operation, "\(response.bodyText)", sourceLocation: sourceLocation)
    #expect(response.object["path"] as? String == path, "\(response.bodyText)", sourceLocation: sourceLocation)
}

/// 401 with `WWW-Authenticate: Bearer`: `error="invalid_token"` when credentials were sent
/// and refused (`invalid-token`, `invalid-credentials`, `unsafe-identity`), without it when
/// none were (`unauthenticated`).
func expectUnauthorized(
    _ response: HTTPTestResponse, type: String = "unauthenticated", sourceLocation: SourceLocation = #_sourceLocation
) {
    expectProblem(response, status: 401, type: type, sourceLocation: sourceLocation)
    let challenge = type == "unauthenticated" ? #"Bearer realm="zkgate""# : #"Bearer realm="zkgate", error="invalid_token""#
    #expect(response.header("WWW-Authenticate") == challenge, "\(response)", sourceLocation: sourceLocation)
}
