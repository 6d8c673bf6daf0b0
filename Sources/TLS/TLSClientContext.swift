import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// A TLS client's settings, loaded once (an `SSL_CTX` in client mode): TLS 1.2 and 1.3 only,
/// TLS 1.2 suites limited to `TLSContext.tls12Ciphers`, no renegotiation, the server's
/// certificate verified against the configured CAs, and a client certificate when one is
/// configured. Every connection's `TLSSession(client:serverName:)` is made from it.
public final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer
    public let configuration: TLSClientConfiguration

    /// - Throws: `TLSError.configuration` naming the file that is missing or unusable, a
    ///   certificate without its key (or the reverse), a key that does not match, or a client
    ///   certificate that is expired or not yet valid (a server would refuse it with a vaguer
    ///   alert).
    public init(_ configuration: TLSClientConfiguration) throws(TLSError) {
        self.configuration = configuration
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw .configuration("SSL_CTX_new: \(TLSError.drainQueue())")
        }
        self.context = context
        try configure()
    }

    deinit { SSL_CTX_free(context) }

    private func configure() throws(TLSError) {
        let c = configuration
        try TLSContext.configureProtocol(context, options: zk_ssl_client_options())
        try Self.requireReadable(c.caPath, "CA file")
        guard SSL_CTX_load_verify_file(context, c.caPath) == 1 else {
            throw .configuration("CA file \(c.caPath): \(TLSError.drainQueue())")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        SSL_CTX_set_verify_depth(context, 8)
        switch (c.certificateChainPath, c.privateKeyPath) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            try Self.requireReadable(certificate, "client certificate")
            try Self.requireReadable(key, "client key")
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw .configuration("client certificate \(certificate): \(TLSError.drainQueue())")
            }
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                throw .configuration("client key \(key) (for \(certificate)): \(TLSError.drainQueue())")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw .configuration("client key \(key) does not match client certificate \(certificate)")
            }
            try checkValidity(certificate)
        case (_?, nil):
            throw .configuration("a client certificate needs its private key")
        case (nil, _?):
            throw .configuration("a client key needs its certificate")
        }
    }

    /// The client certificate must be valid now: an expired one would only earn a
    /// `certificate expired` alert from the server, member after member.
    private func checkValidity(_ path: String) throws(TLSError) {
        guard let certificate = SSL_CTX_get0_certificate(context) else { return }
        if let notAfter = X509_get0_notAfter(certificate), X509_cmp_current_time(notAfter) < 0 {
            throw .configuration("client certificate \(path) expired on \(Self.describe(notAfter))")
        }
        if let notBefore = X509_get0_notBefore(certificate), X509_cmp_current_time(notBefore) > 0 {
            throw .configuration("client certificate \(path) is not valid before \(Self.describe(notBefore))")
        }
    }

    static func describe(_ time: UnsafePointer<ASN1_TIME>) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        guard ASN1_TIME_print(bio, time) == 1 else { return "?" }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = BIO_read(bio, &buffer, Int32(buffer.count))
        return n > 0 ? String(decoding: buffer.prefix(Int(n)), as: UTF8.self) : "?"
    }

    /// OpenSSL's message for a missing file is `system lib`; this names the file and why.
    static func requireReadable(_ path: String, _ what: String) throws(TLSError) {
        guard access(path, R_OK) == 0 else {
            throw .configuration("\(what) \(path): \(String(cString: strerror(errno)))")
        }
    }
}
