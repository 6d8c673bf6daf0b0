import COpenSSL
import Testing
import TLS

/// TLS 1.2 is offered with forward-secret AEAD suites only (ECDHE with AES-GCM or
/// ChaCha20-Poly1305): a client that offers only CBC suites or static-RSA key exchange gets no
/// handshake. TLS 1.3 is unchanged.
@Suite("TLS 1.2 cipher suites")
struct TLSCipherTests {
    static let fixture = Result { try TLSFixture() }

    /// The handshake of a TLS 1.2 client offering only `ciphers`: the suite chosen, or nil when
    /// the server refused it.
    static func handshake(_ ciphers: String, rsa: Bool = false) throws -> String? {
        let f = try fixture.get()
        let server = try TLSSession(context: try f.server(rsa: rsa))
        let client = TestClient(trusting: f.ca, maxVersion: TLS1_2_VERSION, ciphers: ciphers)
        do {
            try pump(client, server)
        } catch {
            return nil
        }
        return server.state == .established ? client.cipher : nil
    }

    @Test(arguments: [
        ("ECDHE-ECDSA-AES128-GCM-SHA256", false), ("ECDHE-ECDSA-AES256-GCM-SHA384", false),
        ("ECDHE-ECDSA-CHACHA20-POLY1305", false), ("ECDHE-RSA-AES128-GCM-SHA256", true),
        ("ECDHE-RSA-AES256-GCM-SHA384", true), ("ECDHE-RSA-CHACHA20-POLY1305", true),
    ])
    func forwardSecretAEADSuitesAreAccepted(suite: String, rsa: Bool) throws {
        #expect(try Self.handshake(suite, rsa: rsa) == suite)
    }

    @Test(arguments: [
        // CBC with ECDHE (Lucky13-style padding oracles).
        ("ECDHE-ECDSA-AES128-SHA", false), ("ECDHE-ECDSA-AES256-SHA384", false), ("ECDHE-RSA-AES128-SHA256", true),
        ("ECDHE-RSA-AES256-SHA", true),
        // Static RSA key exchange (no forward secrecy), GCM and CBC.
        ("AES128-GCM-SHA256", true), ("AES256-GCM-SHA384", true), ("AES128-SHA", true), ("AES256-SHA256", true),
        // Finite-field DHE, outside the profile.
        ("DHE-RSA-AES128-GCM-SHA256", true),
    ])
    func cbcAndStaticRSASuitesAreRefused(suite: String, rsa: Bool) throws {
        #expect(try Self.handshake(suite, rsa: rsa) == nil)
    }

    @Test func aClientOfferingEverythingGetsAnAEADSuiteAndTLS13IsUnchanged() throws {
        let f = try Self.fixture.get()
        let chosen = try #require(try Self.handshake("ALL:@SECLEVEL=0"))
        #expect(chosen.hasPrefix("ECDHE-") && (chosen.contains("GCM") || chosen.contains("CHACHA20")), "\(chosen)")
        let server = try TLSSession(context: try f.server())
        let client = TestClient(trusting: f.ca)
        try pump(client, server)
        #expect(server.protocolVersion == "TLSv1.3")
        #expect(client.cipher == "TLS_AES_256_GCM_SHA384")
    }
}
