import COpenSSL

/// A server's TLS settings, loaded once (an `SSL_CTX`): TLS 1.2 and 1.3 only, no
/// renegotiation, TLS 1.2 suites limited to `tls12Ciphers`, the server's cipher preference, ALPN from the configuration's list, and
/// client certificates as configured. Sessions made from it share it; reloading the
/// certificate (SIGHUP) makes a new context for new connections while old ones keep theirs.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    public let configuration: TLSConfiguration
    /// ALPN's wire form (length-prefixed names), kept alive for the selection callback.
    private let protocols: UnsafeMutableBufferPointer<UInt8>
    private let wireLength: Int

    /// - Throws: `TLSError.configuration` naming the file OpenSSL could not use, or a key
    ///   that does not match the certificate.
    public init(_ configuration: TLSConfiguration) throws(TLSError) {
        self.configuration = configuration
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw .configuration("SSL_CTX_new: \(TLSError.drainQueue())")
        }
        self.context = context
        var wire: [UInt8] = []
        for name in configuration.applicationProtocols where !name.isEmpty && name.utf8.count < 256 {
            wire.append(UInt8(name.utf8.count))
            wire.append(contentsOf: name.utf8)
        }
        protocols = .allocate(capacity: max(wire.count, 1))
        _ = protocols.initialize(from: wire)
        wireLength = wire.count
        // Every stored property is set, so a throw from here runs deinit, which frees both.
        try configure()
    }

    deinit {
        SSL_CTX_free(context)
        protocols.deallocate()
    }

    /// TLS 1.2 suites: forward-secret key exchange (ECDHE) with AEAD ciphers only, the common
    /// "intermediate" profile. OpenSSL's default also offers CBC suites (padding oracles such as
    /// Lucky13) and static-RSA key exchange (no forward secrecy, ROBOT); every TLS 1.2 client
    /// of the last decade has one of these. TLS 1.3 suites are all AEAD and stay OpenSSL's.
    public static let tls12Ciphers = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// What servers and clients share: TLS 1.2 at least, `tls12Ciphers`, `options`, and
    /// buffers released while a connection is idle.
    static func configureProtocol(_ context: OpaquePointer, options: UInt64) throws(TLSError) {
        _ = zk_ssl_ctx_set_min_proto_version(context, TLS1_2_VERSION)
        guard SSL_CTX_set_cipher_list(context, tls12Ciphers) == 1 else {
            throw .configuration("cipher list: \(TLSError.drainQueue())")
        }
        _ = SSL_CTX_set_options(context, options)
        _ = zk_ssl_ctx_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
    }

    private func configure() throws(TLSError) {
        let c = configuration
        try Self.configureProtocol(context, options: zk_ssl_server_options())
        guard SSL_CTX_use_certificate_chain_file(context, c.certificateChainPath) == 1 else {
            throw .configuration("certificate \(c.certificateChainPath): \(TLSError.drainQueue())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, c.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw .configuration("private key \(c.privateKeyPath) (for \(c.certificateChainPath)): \(TLSError.drainQueue())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .configuration("private key \(c.privateKeyPath) does not match certificate \(c.certificateChainPath)")
        }
        let sessionContext: [UInt8] = Array("zkgate".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        if c.clientAuthentication != .none {
            guard let ca = c.clientCAPath else {
                throw .configuration("client authentication needs a client CA file")
            }
            guard SSL_CTX_load_verify_file(context, ca) == 1 else {
                throw .configuration("client CA \(ca): \(TLSError.drainQueue())")
            }
            guard let names = SSL_load_client_CA_file(ca) else {
                throw .configuration("client CA \(ca): \(TLSError.drainQueue())")
            }
            SSL_CTX_set_client_CA_list(context, names)
            var mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE
            if c.clientAuthentication == .required { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
            SSL_CTX_set_verify(context, mode, nil)
            SSL_CTX_set_verify_depth(context, 8)
        }
        if wireLength > 0 {
            SSL_CTX_set_alpn_select_cb(context, { _, out, outLength, offered, offeredLength, argument in
                guard let argument else { return SSL_TLSEXT_ERR_NOACK }
                let server = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
                var chosen: UnsafeMutablePointer<UInt8>?
                var chosenLength: UInt8 = 0
                let result = SSL_select_next_proto(
                    &chosen, &chosenLength, server.protocols.baseAddress, UInt32(server.wireLength), offered, offeredLength)
                // Without overlap, go on without ALPN (RFC 7301 allows it); HTTP/1.1 follows.
                guard result == OPENSSL_NPN_NEGOTIATED, let chosen else { return SSL_TLSEXT_ERR_NOACK }
                out?.pointee = UnsafePointer(chosen)
                outLength?.pointee = chosenLength
                return SSL_TLSEXT_ERR_OK
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

}
