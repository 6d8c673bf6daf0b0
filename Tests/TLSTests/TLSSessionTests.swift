import COpenSSL
import Testing
import TLS

@Suite("TLS sessions on memory BIOs")
struct TLSSessionTests {
    static let fixture = Result { try TLSFixture() }

    @Test("a handshake, then data both ways and close_notify")
    func roundTrip() throws {
        let f = try Self.fixture.get()
        let server = try TLSSession(context: try f.server())
        let client = TestClient(trusting: f.ca, alpn: ["h2", "http/1.1"])
        let outputs = try pump(client, server)
        #expect(outputs.contains { $0.handshakeCompleted })
        #expect(server.state == .established)
        #expect(server.applicationProtocol == "http/1.1", "h2 is not served yet, so the server chose http/1.1")
        #expect(server.protocolVersion == "TLSv1.3")
        client.write("GET / HTTP/1.1\r\n\r\n")
        let request = try server.receive(client.outgoing())
        #expect(String(decoding: request.plaintext, as: UTF8.self) == "GET / HTTP/1.1\r\n\r\n")
        client.incoming(try server.seal("HTTP/1.1 204 No Content\r\n\r\n"))
        #expect(client.read() == "HTTP/1.1 204 No Content\r\n\r\n")
        _ = SSL_shutdown(client.ssl)
        #expect(try server.receive(client.outgoing()).peerClosed)
        #expect(!server.close().isEmpty, "the server answers with its own close_notify")
    }

    @Test("the client's records split at every byte still decrypt to the same request")
    func everySplitPoint() throws {
        let f = try Self.fixture.get()
        let context = try f.server()
        // One handshake per split point of the first application record.
        let probe = TestClient(trusting: f.ca)
        let probeServer = try TLSSession(context: context)
        try pump(probe, probeServer)
        probe.write("PUT /v1/nodes/a HTTP/1.1\r\nContent-Length: 1\r\n\r\nx")
        let record = probe.outgoing()
        #expect(record.count > 30)
        for split in stride(from: 1, to: record.count, by: 1) {
            let client = TestClient(trusting: f.ca)
            let server = try TLSSession(context: context)
            try pump(client, server)
            client.write("PUT /v1/nodes/a HTTP/1.1\r\nContent-Length: 1\r\n\r\nx")
            let bytes = client.outgoing()
            var plaintext: [UInt8] = []
            plaintext += try server.receive(Array(bytes[..<min(split, bytes.count)])).plaintext
            plaintext += try server.receive(Array(bytes[min(split, bytes.count)...])).plaintext
            #expect(String(decoding: plaintext, as: UTF8.self) == "PUT /v1/nodes/a HTTP/1.1\r\nContent-Length: 1\r\n\r\nx",
                "split at \(split)")
        }
    }

    @Test("the ClientHello fed one byte at a time completes the handshake")
    func handshakeByteByByte() throws {
        let f = try Self.fixture.get()
        let server = try TLSSession(context: try f.server())
        let client = TestClient(trusting: f.ca)
        client.handshake()
        let hello = client.outgoing()
        var reply: [UInt8] = []
        for byte in hello {
            let output = try server.receive([byte])
            reply += output.ciphertext
        }
        #expect(!reply.isEmpty, "the server's flight comes once the whole hello is in")
        client.incoming(reply)
        try pump(client, server)
        #expect(server.state == .established)
    }

    @Test("TLS 1.1 is refused; ALPN without overlap goes on without ALPN")
    func versionsAndALPN() throws {
        let f = try Self.fixture.get()
        let server = try TLSSession(context: try f.server())
        let old = TestClient(trusting: f.ca, maxVersion: TLS1_1_VERSION)
        #expect(throws: TLSError.self) { try pump(old, server) }
        let h2Only = TestClient(trusting: f.ca, alpn: ["h2"])
        let other = try TLSSession(context: try f.server())
        try pump(h2Only, other)
        #expect(other.state == .established)
        #expect(other.applicationProtocol == nil)
        let tls12 = TestClient(trusting: f.ca, maxVersion: TLS1_2_VERSION)
        let third = try TLSSession(context: try f.server())
        try pump(tls12, third)
        #expect(third.protocolVersion == "TLSv1.2")
    }

    @Test("required client certificates: none or a stranger's fails; the CA's gives the identity")
    func mutualTLS() throws {
        let f = try Self.fixture.get()
        let context = try f.server(.required)
        let anonymous = TestClient(trusting: f.ca)
        #expect(throws: TLSError.self) {
            let server = try TLSSession(context: context)
            try pump(anonymous, server)
            // TLS 1.3 sends the client's certificate after the server's flight: the failure
            // comes with the client's second flight.
            _ = try server.receive(anonymous.outgoing())
        }
        let stranger = TestClient(trusting: f.ca, certificate: f.strangerCertificate, key: f.strangerKey)
        #expect(throws: TLSError.self) {
            let server = try TLSSession(context: context)
            try pump(stranger, server)
        }
        let expired = TestClient(trusting: f.ca, certificate: f.expiredCertificate, key: f.expiredKey)
        #expect(throws: TLSError.self) {
            let server = try TLSSession(context: context)
            try pump(expired, server)
        }
        let device = TestClient(trusting: f.ca, certificate: f.clientCertificate, key: f.clientKey)
        let server = try TLSSession(context: context)
        try pump(device, server)
        #expect(server.state == .established)
        let identity = try #require(server.peerIdentity)
        #expect(identity.commonName == "device-7")
        #expect(identity.subjectAlternativeNames == ["device-7.fleet.example", "10.0.0.7"])
    }

    @Test("optional client certificates: a client without one is established with no identity")
    func optionalClientCertificate() throws {
        let f = try Self.fixture.get()
        let server = try TLSSession(context: try f.server(.optional))
        try pump(TestClient(trusting: f.ca), server)
        #expect(server.state == .established)
        #expect(server.peerIdentity == nil)
    }

    @Test("configuration errors name the file")
    func configurationErrors() throws {
        let f = try Self.fixture.get()
        func message(_ configuration: TLSConfiguration) -> String {
            do {
                _ = try TLSContext(configuration)
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(message(TLSConfiguration(certificateChainPath: "/nope.pem", privateKeyPath: f.serverKey)).contains("/nope.pem"))
        let mismatch = message(TLSConfiguration(certificateChainPath: f.serverCertificate, privateKeyPath: f.clientKey))
        #expect(mismatch.contains(f.clientKey) && mismatch.contains("mismatch"), "\(mismatch)")
        #expect(message(TLSConfiguration(certificateChainPath: f.serverCertificate, privateKeyPath: f.serverKey,
            clientAuthentication: .required)).contains("client CA"))
    }
}
