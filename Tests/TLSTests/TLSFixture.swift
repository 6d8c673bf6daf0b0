import COpenSSL
import Foundation
import TestSupport
import TLS

/// The run's certificates, and server contexts made from them.
typealias TLSFixture = TestCertificates

extension TestCertificates {
    func server(
        _ auth: TLSConfiguration.ClientAuthentication = .none, protocols: [String] = ["http/1.1"], rsa: Bool = false
    ) throws -> TLSContext {
        try TLSContext(TLSConfiguration(certificateChainPath: rsa ? rsaServerCertificate : serverCertificate,
            privateKeyPath: rsa ? rsaServerKey : serverKey,
            clientCAPath: auth == .none ? nil : ca, clientAuthentication: auth, applicationProtocols: protocols))
    }
}

/// A TLS client on memory BIOs, driven by the test: it verifies the server against the
/// fixture's CA and offers what the test asks.
final class TestClient {
    let context: OpaquePointer
    let ssl: OpaquePointer
    let network: OpaquePointer
    let records: OpaquePointer

    /// - Parameter ciphers: the TLS 1.2 suites to offer (an OpenSSL cipher list), when set.
    init(trusting ca: String, certificate: String? = nil, key: String? = nil, alpn: [String] = [],
         maxVersion: Int32 = TLS1_3_VERSION, ciphers: String? = nil) {
        context = SSL_CTX_new(TLS_client_method())!
        _ = SSL_CTX_load_verify_file(context, ca)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_VERSION), nil)
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(maxVersion), nil)
        if maxVersion < TLS1_2_VERSION { _ = SSL_CTX_set_cipher_list(context, "DEFAULT:@SECLEVEL=0") }
        if let ciphers { _ = SSL_CTX_set_cipher_list(context, ciphers) }
        if let certificate, let key {
            _ = SSL_CTX_use_certificate_chain_file(context, certificate)
            _ = SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM)
        }
        if !alpn.isEmpty {
            var wire: [UInt8] = []
            for name in alpn { wire.append(UInt8(name.utf8.count)); wire += Array(name.utf8) }
            _ = SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count))
        }
        ssl = SSL_new(context)!
        network = BIO_new(BIO_s_mem())!
        records = BIO_new(BIO_s_mem())!
        zk_bio_set_mem_eof_return(network, -1)
        SSL_set_bio(ssl, network, records)
        _ = SSL_set1_host(ssl, "localhost")
        SSL_set_connect_state(ssl)
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Advances the handshake; true once it is done.
    @discardableResult
    func handshake() -> Bool { SSL_do_handshake(ssl) == 1 }

    /// What the client has to send.
    func outgoing() -> [UInt8] {
        let pending = zk_bio_pending(records)
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let n = bytes.withUnsafeMutableBytes { BIO_read(records, $0.baseAddress, Int32($0.count)) }
        return Array(bytes.prefix(Int(max(n, 0))))
    }

    func incoming(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes { BIO_write(network, $0.baseAddress, Int32($0.count)) }
    }

    func write(_ text: String) {
        var written = 0
        _ = Array(text.utf8).withUnsafeBytes { SSL_write_ex(ssl, $0.baseAddress, $0.count, &written) }
    }

    /// Everything decryptable now.
    func read() -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var n = 0
            let ok = buffer.withUnsafeMutableBytes { SSL_read_ex(ssl, $0.baseAddress, $0.count, &n) }
            guard ok == 1 else { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The suite the handshake settled on.
    var cipher: String? { SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } }

    var alertedOrFailed: Bool { SSL_get_error(ssl, SSL_do_handshake(ssl)) == SSL_ERROR_SSL }
}

extension TLSSession {
    func receive(_ bytes: [UInt8]) throws -> Output {
        try bytes.withUnsafeBytes { try receive($0) }
    }

    func seal(_ text: String) throws -> [UInt8] {
        try Array(text.utf8).withUnsafeBytes { try seal($0) }
    }
}

/// Runs the handshake between a client and a session, passing bytes both ways until neither
/// has anything to send. Returns the server's outputs.
@discardableResult
func pump(_ client: TestClient, _ server: TLSSession, rounds: Int = 10) throws -> [TLSSession.Output] {
    var outputs: [TLSSession.Output] = []
    for _ in 0..<rounds {
        client.handshake()
        let toServer = client.outgoing()
        let output = try server.receive(toServer)
        outputs.append(output)
        client.incoming(output.ciphertext)
        if toServer.isEmpty && output.ciphertext.isEmpty { break }
    }
    client.handshake()
    return outputs
}
