import COpenSSL

/// Who the client proved to be with its certificate, for access control above.
public struct PeerIdentity: Hashable, Sendable {
    /// The subject's common name.
    public var commonName: String?
    /// DNS names and IP addresses (dotted or colon form) from subjectAltName.
    public var subjectAlternativeNames: [String]

    public init(commonName: String?, subjectAlternativeNames: [String]) {
        self.commonName = commonName
        self.subjectAlternativeNames = subjectAlternativeNames
    }
}

extension TLSSession {
    /// The verified client certificate's identity; nil when the client sent none (possible
    /// only with optional client authentication; an invalid one fails the handshake).
    public var peerIdentity: PeerIdentity? {
        guard state != .handshaking, let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        guard SSL_get_verify_result(ssl) == X509_V_OK else { return nil }
        var identity = PeerIdentity(commonName: nil, subjectAlternativeNames: [])
        if let subject = X509_get_subject_name(certificate) {
            let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
            if index >= 0, let entry = X509_NAME_get_entry(subject, index), let data = X509_NAME_ENTRY_get_data(entry) {
                var utf8: UnsafeMutablePointer<UInt8>?
                let length = ASN1_STRING_to_UTF8(&utf8, data)
                if length >= 0, let utf8 {
                    identity.commonName = String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
                    CRYPTO_free(utf8, #fileID, #line)
                }
            }
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        var index: Int32 = 0
        while true {
            var kind: Int32 = 0
            let length = zk_x509_san(certificate, index, &kind, &buffer, Int32(buffer.count))
            if length < 0 { break }
            index += 1
            let bytes = buffer[0..<Int(length)]
            switch (kind, bytes.count) {
            case (1, _): identity.subjectAlternativeNames.append(String(decoding: bytes, as: UTF8.self))
            case (2, 4): identity.subjectAlternativeNames.append(bytes.map(String.init).joined(separator: "."))
            case (2, 16):
                let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[bytes.startIndex + $0]) << 8 | UInt16(bytes[bytes.startIndex + $0 + 1]), radix: 16) }
                identity.subjectAlternativeNames.append(groups.joined(separator: ":"))
            default: break
            }
        }
        return identity
    }
}
