import COpenSSL
import Testing
@testable import TLS

/// zkgate as a TLS client (to a ZooKeeper ensemble's secure port), against its own server
/// sessions: the handshake, data both ways, and each way verification can fail, with the
/// reason it gives.
@Suite("TLS client sessions on memory BIOs")
struct TLSClientSessionTests {
    static let fixture = Result { try TLSFixture() }

    /// Passes bytes both ways until neither side has anything to send; the first error of
    /// either side is thrown (the client's, or the server's after its alert reached the
    /// client).
    static func handshake(_ client: TLSSession, _ server: TLSSession) throws {
        var toServer = try client.start()
        for _ in 0..<10 {
            let fromServer = try server.receive(toServer).ciphertext
            let output = try client.receive(fromServer)
            toServer = output.ciphertext
            if toServer.isEmpty && fromServer.isEmpty { break }
        }
    }

    static func client(_ f: TLSFixture, ca: String? = nil, certificate: String? = nil, key: String? = nil,
                       verifiesHostName: Bool = true, name: String = "localhost") throws -> TLSSession {
        let context = try TLSClientContext(TLSClientConfiguration(
            caPath: ca ?? f.ca, certificateChainPath: certificate, privateKeyPath: key, verifiesHostName: verifiesHostName))
        return try TLSSession(client: context, serverName: name)
    }

    /// The handshake's failure as the client reports it, or "established".
    static func outcome(_ client: TLSSession, _ server: TLSSession) -> String {
        do {
            try handshake(client, server)
            return client.state == .established && server.state == .established ? "established" : "stalled"
        } catch {
            return "\(error)"
        }
    }

    @Test("a handshake by name and by address, then data both ways in TLS 1.3")
    func roundTrip() throws {
        let f = try Self.fixture.get()
        for name in ["localhost", "127.0.0.1"] {
            let server = try TLSSession(context: try f.server())
            let client = try Self.client(f, name: name)
            try Self.handshake(client, server)
            #expect(client.state == .established && server.state == .established, "\(name)")
            #expect(client.protocolVersion == "TLSv1.3")
            let request = try server.receive(try client.seal("ruok"))
            #expect(String(decoding: request.plaintext, as: UTF8.self) == "ruok")
            let answer = try client.receive(try server.seal("imok"))
            #expect(String(decoding: answer.plaintext, as: UTF8.self) == "imok")
            #expect(try client.receive(server.close()).peerClosed)
        }
    }

    /// Sealing into a caller's send buffer keeps what is already there and appends records the
    /// peer reads back, however many a large write takes.
    @Test("seal appending to a send buffer: records after what was there, a large write in several")
    func sealAppending() throws {
        let f = try Self.fixture.get()
        let server = try TLSSession(context: try f.server())
        let client = try Self.client(f)
        try Self.handshake(client, server)
        let message = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var buffer: [UInt8] = [1, 2, 3]
        try message.withUnsafeBytes { try client.seal($0, appendingTo: &buffer) }
        #expect(buffer.prefix(3) == [1, 2, 3])
        #expect(buffer.count > message.count + 3 * 16, "over 16 KiB is several records, each with its overhead")
        let read = try buffer.dropFirst(3).withUnsafeBytes { try server.receive($0) }
        #expect(read.plaintext == message)
    }

    @Test("a server that stops at TLS 1.2 still completes the handshake")
    func tls12() throws {
        let f = try Self.fixture.get()
        let context = try f.server()
        _ = SSL_CTX_ctrl(context.context, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        let server = try TLSSession(context: context)
        let client = try Self.client(f)
        try Self.handshake(client, server)
        #expect(client.state == .established)
        #expect(client.protocolVersion == "TLSv1.2")
    }

    /// Each failed check, and the words that say which one failed.
    @Test("verification: another CA, another host name, an expired certificate each fail with their reason")
    func verificationFailures() throws {
        let f = try Self.fixture.get()
        let otherCA = f.directory.path + "/other-ca.pem"
        let cases: [(String, () throws -> (TLSSession, TLSSession), String)] = [
            ("another CA", { (try Self.client(f, ca: otherCA), try TLSSession(context: try f.server())) }, "unable to get local issuer certificate"),
            ("another host name", { (try Self.client(f, name: "zk.example"), try TLSSession(context: try f.server())) }, "hostname mismatch"),
            ("another address", { (try Self.client(f, name: "10.0.0.9"), try TLSSession(context: try f.server())) }, "IP address mismatch"),
            ("expired", {
                let expired = try TLSContext(TLSConfiguration(certificateChainPath: f.expiredCertificate, privateKeyPath: f.expiredKey))
                return (try Self.client(f, name: "expired.example"), try TLSSession(context: expired))
            }, "certificate has expired"),
        ]
        for (label, make, reason) in cases {
            let (client, server) = try make()
            let outcome = Self.outcome(client, server)
            #expect(outcome.contains("TLS handshake failed") && outcome.contains(reason), "\(label): \(outcome)")
            #expect(client.state == .closed, "\(label)")
        }
        // Told not to check the name, the same certificate is accepted for another name.
        let lenient = try Self.client(f, verifiesHostName: false, name: "zk.example")
        #expect(Self.outcome(lenient, try TLSSession(context: try f.server())) == "established")
    }

    @Test("a client certificate is presented when configured; a server that requires one refuses a client without")
    func clientCertificates() throws {
        let f = try Self.fixture.get()
        let server = try TLSSession(context: try f.server(.required))
        let client = try Self.client(f, certificate: f.clientCertificate, key: f.clientKey)
        try Self.handshake(client, server)
        #expect(server.peerIdentity?.commonName == "device-7")
        let refusing = try TLSSession(context: try f.server(.required))
        let anonymous = try Self.client(f)
        var refused = false
        do {
            try Self.handshake(anonymous, refusing)
            // TLS 1.3: the client is done before the server checks; its alert comes next.
            _ = try anonymous.receive(refusing.failureRecords)
        } catch {
            refused = true
        }
        #expect(refused || refusing.state == .closed)
    }

    @Test("configuration errors name the file and what is wrong with it")
    func configurationErrors() throws {
        let f = try Self.fixture.get()
        func message(_ configuration: TLSClientConfiguration) -> String {
            do {
                _ = try TLSClientContext(configuration)
                return "no error"
            } catch {
                return error.description
            }
        }
        let missingCA = message(TLSClientConfiguration(caPath: "/nope/ca.pem"))
        #expect(missingCA.contains("CA file /nope/ca.pem") && missingCA.contains("No such file"), "\(missingCA)")
        let notPEM = message(TLSClientConfiguration(caPath: f.clientKey))
        #expect(notPEM.contains("CA file \(f.clientKey)"), "\(notPEM)")
        #expect(message(TLSClientConfiguration(caPath: f.ca, certificateChainPath: f.clientCertificate)).contains("needs its private key"))
        #expect(message(TLSClientConfiguration(caPath: f.ca, privateKeyPath: f.clientKey)).contains("needs its certificate"))
        let missingKey = message(TLSClientConfiguration(caPath: f.ca, certificateChainPath: f.clientCertificate, privateKeyPath: "/nope.key"))
        #expect(missingKey.contains("client key /nope.key"), "\(missingKey)")
        let mismatch = message(TLSClientConfiguration(caPath: f.ca, certificateChainPath: f.clientCertificate, privateKeyPath: f.serverKey))
        #expect(mismatch.contains("client key \(f.serverKey)") && mismatch.contains("mismatch"), "\(mismatch)")
        let expired = message(TLSClientConfiguration(caPath: f.ca, certificateChainPath: f.expiredCertificate, privateKeyPath: f.expiredKey))
        #expect(expired.contains("client certificate \(f.expiredCertificate) expired on"), "\(expired)")
        #expect(message(TLSClientConfiguration(caPath: f.ca, certificateChainPath: f.clientCertificate, privateKeyPath: f.clientKey)) == "no error")
    }
}
