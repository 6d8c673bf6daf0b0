import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// One connection's TLS, sans I/O: the caller feeds the bytes its socket read and sends the
/// bytes this returns. OpenSSL works on memory BIOs, so it never touches the socket, and the
/// connection's own non-blocking reads and writes (and their EAGAIN handling) stay as they
/// are for plain HTTP.
///
/// Confined to one thread (the connection's loop).
public final class TLSSession {
    /// What one call produced.
    public struct Output: Equatable {
        /// Decrypted application data, for the protocol above.
        public var plaintext: [UInt8] = []
        /// Records to send to the peer (handshake messages, alerts, close_notify).
        public var ciphertext: [UInt8] = []
        /// The handshake completed during this call.
        public var handshakeCompleted = false
        /// The peer sent close_notify: no more data will come.
        public var peerClosed = false
    }

    public enum State: Equatable {
        case handshaking
        case established
        case closed
    }

    let ssl: OpaquePointer
    /// The peer's bytes go in here; OpenSSL reads them.
    private let network: OpaquePointer
    /// OpenSSL's records come out here.
    private let records: OpaquePointer
    public private(set) var state = State.handshaking
    /// What to send the peer after `receive` threw (the alert), before closing.
    public private(set) var failureRecords: [UInt8] = []
    /// The context it was made from (a `TLSContext` or a `TLSClientContext`), kept alive with
    /// it.
    let owner: AnyObject
    /// A server session's context; nil for a client's.
    public var context: TLSContext? { owner as? TLSContext }

    /// A server's session.
    ///
    /// - Throws: `TLSError.connection` when OpenSSL cannot allocate the session.
    public init(context: TLSContext) throws(TLSError) {
        (ssl, network, records) = try Self.make(context.context)
        owner = context
        SSL_set_accept_state(ssl)
    }

    /// A client's session to `serverName` (a DNS name or an IP address): sent as SNI (a name
    /// only, as RFC 6066 says) and, when the context verifies host names, required in the
    /// server's certificate. Call `start` for the first flight.
    ///
    /// - Throws: `TLSError.connection` when OpenSSL cannot allocate the session or take the
    ///   name.
    public init(client context: TLSClientContext, serverName: String) throws(TLSError) {
        (ssl, network, records) = try Self.make(context.context)
        owner = context
        SSL_set_connect_state(ssl)
        var address = in6_addr()
        let isAddress = inet_pton(AF_INET, serverName, &address) == 1 || inet_pton(AF_INET6, serverName, &address) == 1
        if !isAddress { _ = zk_ssl_set_tlsext_host_name(ssl, serverName) }
        if context.configuration.verifiesHostName {
            let named = isAddress
                ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1
                : SSL_set1_host(ssl, serverName) == 1
            guard named else { throw .connection("cannot verify the host name \(serverName): \(TLSError.drainQueue())") }
        }
    }

    private static func make(_ context: OpaquePointer) throws(TLSError) -> (OpaquePointer, OpaquePointer, OpaquePointer) {
        guard let ssl = SSL_new(context) else { throw .connection("SSL_new: \(TLSError.drainQueue())") }
        guard let network = BIO_new(BIO_s_mem()), let records = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .connection("BIO_new: \(TLSError.drainQueue())")
        }
        // An empty memory BIO reads as "retry later", not as end of file.
        zk_bio_set_mem_eof_return(network, -1)
        SSL_set_bio(ssl, network, records)
        return (ssl, network, records)
    }

    /// A client's first flight (its ClientHello), to send once the connection is up.
    ///
    /// - Throws: `TLSError.handshake` when OpenSSL cannot make it.
    public func start() throws(TLSError) -> [UInt8] {
        var output = Output()
        try advance(&output)
        return output.ciphertext
    }

    deinit { SSL_free(ssl) }

    /// Takes bytes the peer sent and advances the handshake or decrypts what it can.
    ///
    /// - Throws: `TLSError.handshake` when the peer fails the handshake (an unknown CA, an
    ///   expired or missing client certificate where one is required, no shared version);
    ///   `TLSError.connection` for a bad record later. The caller then sends
    ///   `failureRecords` (the alert) and closes.
    public func receive(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> Output {
        var output = Output()
        if bytes.count > 0, let base = bytes.baseAddress {
            _ = BIO_write(network, base, Int32(bytes.count))
        }
        try advance(&output)
        return output
    }

    /// Encrypts application data into records to send.
    ///
    /// - Throws: `TLSError.connection` before the handshake completed or after a failure.
    public func seal(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) -> [UInt8] {
        try write(plaintext)
        return drainRecords()
    }

    /// Encrypts application data and appends the records to `out`: for a caller with a send
    /// buffer of its own, which then needs no array per call.
    ///
    /// - Throws: `TLSError.connection` before the handshake completed or after a failure.
    public func seal(_ plaintext: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws(TLSError) {
        try write(plaintext)
        while true {
            let pending = zk_bio_pending(records)
            guard pending > 0 else { return }
            let read = withUnsafeTemporaryAllocation(byteCount: min(pending, 16_384), alignment: 1) { buffer -> Int32 in
                let n = BIO_read(records, buffer.baseAddress, Int32(buffer.count))
                if n > 0 { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<Int(n)])) }
                return n
            }
            guard read > 0 else { return }
        }
    }

    private func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        guard state == .established else { throw .connection("no established session to write on") }
        var offset = 0
        while offset < plaintext.count {
            ERR_clear_error()
            var written = 0
            // Memory BIOs grow, so a write completes unless the session failed.
            guard SSL_write_ex(ssl, plaintext.baseAddress! + offset, plaintext.count - offset, &written) == 1 else {
                throw .connection(TLSError.drainQueue())
            }
            offset += written
        }
    }

    /// A close_notify to send before closing the socket.
    public func close() -> [UInt8] {
        guard state != .closed else { return [] }
        state = .closed
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        return drainRecords()
    }

    /// The protocol ALPN chose (`h2`, `http/1.1`), or nil without ALPN.
    public var applicationProtocol: String? {
        var name: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &name, &length)
        guard let name, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
    }

    /// `TLSv1.2` or `TLSv1.3`.
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    private func advance(_ output: inout Output) throws(TLSError) {
        if state == .handshaking {
            ERR_clear_error()
            let result = SSL_do_handshake(ssl)
            if result == 1 {
                state = .established
                output.handshakeCompleted = true
            } else {
                let error = SSL_get_error(ssl, result)
                guard error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE else {
                    var reason = TLSError.drainQueue()
                    // Which check the peer's certificate failed: expired, unknown CA, another
                    // host's name. OpenSSL's queue says only "certificate verify failed".
                    let verified = SSL_get_verify_result(ssl)
                    if verified != X509_V_OK, let text = X509_verify_cert_error_string(verified) {
                        reason += " (\(String(cString: text)))"
                    }
                    failureRecords = output.ciphertext + drainRecords()
                    state = .closed
                    throw .handshake(reason)
                }
            }
        }
        if state == .established {
            // Everything decryptable now: OpenSSL may hold several records from one read. The
            // record-sized buffer is on the stack: no allocation or zero-fill per read.
            while true {
                ERR_clear_error()
                var read = 0
                let ok = withUnsafeTemporaryAllocation(byteCount: 16_384, alignment: 1) { buffer -> Int32 in
                    let ok = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &read)
                    if ok == 1 { output.plaintext.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<read])) }
                    return ok
                }
                if ok == 1 { continue }
                let error = SSL_get_error(ssl, 0)
                if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { break }
                if error == SSL_ERROR_ZERO_RETURN {
                    output.peerClosed = true
                    break
                }
                let reason = TLSError.drainQueue()
                failureRecords = output.ciphertext + drainRecords()
                state = .closed
                throw .connection(reason)
            }
        }
        output.ciphertext.append(contentsOf: drainRecords())
    }

    private func drainRecords() -> [UInt8] {
        let pending = zk_bio_pending(records)
        guard pending > 0 else { return [] }
        // One allocation, filled by OpenSSL directly.
        return [UInt8](unsafeUninitializedCapacity: pending) { buffer, count in
            count = max(0, Int(BIO_read(records, buffer.baseAddress, Int32(buffer.count))))
        }
    }
}
