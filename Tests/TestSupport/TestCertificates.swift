import Foundation

/// Certificates made for one test run with the openssl command, in a temporary folder (no
/// key is ever committed): a CA; a server certificate for localhost and 127.0.0.1; a client
/// certificate from the CA (CN device-7); and a client certificate from another CA. The server
/// certificates are ECDSA; `rsaServer` is the same with an RSA key, for RSA key exchange.
public final class TestCertificates: Sendable {
    public let directory: TemporaryDirectory

    public var ca: String { directory.path + "/ca.pem" }
    public var serverCertificate: String { directory.path + "/server.pem" }
    public var serverKey: String { directory.path + "/server.key" }
    public var clientCertificate: String { directory.path + "/client.pem" }
    public var clientKey: String { directory.path + "/client.key" }
    public var strangerCertificate: String { directory.path + "/stranger.pem" }
    public var strangerKey: String { directory.path + "/stranger.key" }
    /// localhost and 127.0.0.1 with an RSA key.
    public var rsaServerCertificate: String { directory.path + "/rsa-server.pem" }
    public var rsaServerKey: String { directory.path + "/rsa-server.key" }
    /// From the CA, but expired yesterday.
    public var expiredCertificate: String { directory.path + "/expired.pem" }
    public var expiredKey: String { directory.path + "/expired.key" }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws {
        directory = try TemporaryDirectory(prefix: "zkgate-tls")
        let d = directory.path
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", "\(d)/ca.key", "-out", ca, "-days", "2", "-subj", "/CN=zkgate test CA"])
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", "\(d)/other-ca.key", "-out", "\(d)/other-ca.pem", "-days", "2",
            "-subj", "/CN=another CA"])
        try issue("server", by: "ca", subject: "/CN=localhost", san: "DNS:localhost,IP:127.0.0.1")
        try issue("client", by: "ca", subject: "/CN=device-7", san: "DNS:device-7.fleet.example,IP:10.0.0.7")
        try issue("stranger", by: "other-ca", subject: "/CN=stranger", san: "DNS:stranger.example")
        try issue("expired", by: "ca", subject: "/CN=expired", san: "DNS:expired.example", days: -1)
        try issue("rsa-server", by: "ca", subject: "/CN=localhost", san: "DNS:localhost,IP:127.0.0.1",
            key: ["rsa:2048"])
    }

    /// Issues `<name>.pem` and `<name>.key` from the CA `<issuer>`.
    /// `days` below 0 makes a certificate that has already expired.
    public func issue(
        _ name: String, by issuer: String, subject: String, san: String, days: Int = 2,
        key: [String] = ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    ) throws {
        let d = directory.path
        try Self.openssl(["req", "-new", "-newkey"] + key + ["-nodes",
            "-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr", "-subj", subject])
        try "subjectAltName=\(san)\n".write(toFile: "\(d)/\(name).ext", atomically: true, encoding: .utf8)
        try Self.openssl(["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/\(issuer).pem", "-CAkey", "\(d)/\(issuer).key",
            "-CAcreateserial", "-out", "\(d)/\(name).pem", "-days", String(days), "-extfile", "\(d)/\(name).ext"])
    }

    static func openssl(_ arguments: [String]) throws {
        let result = try runCommand("/usr/bin/openssl", arguments)
        guard result.status == 0 else { throw Failure(description: "openssl \(arguments.prefix(2).joined(separator: " ")): \(result.stderr)") }
    }
}
