import COpenSSL

extension JWTVerifier {
    /// The first of `candidates` that verifies `signature` over `signed`, or nil when none
    /// does, which includes an ES256 signature that is not 64 bytes (JWS fixes it at r‖s, 32
    /// bytes each; RFC 7518 §3.4).
    static func verifyingKey(
        _ candidates: [JWK], algorithm: JWTAlgorithm, signature: [UInt8], signed: UnsafeRawBufferPointer
    ) -> JWK? {
        // OpenSSL reads ECDSA signatures as DER; converted once for all candidates.
        let encoded: [UInt8]
        if algorithm == .es256 {
            guard signature.count == 64, let der = derSignature(signature) else { return nil }
            encoded = der
        } else {
            encoded = signature
        }
        return candidates.first { verify(encoded, over: signed, with: $0) }
    }

    /// Whether `signature` is `key`'s over `signed`: SHA-256 with ECDSA or PKCS #1 v1.5
    /// (OpenSSL's default padding for an RSA key), or pure Ed25519, which takes no digest.
    static func verify(_ signature: [UInt8], over signed: UnsafeRawBufferPointer, with key: JWK) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            // Leave the thread's queue as found (empty): TLS on this thread reads it.
            ERR_clear_error()
        }
        let digest: String? = key.algorithm == .edDSA ? nil : "SHA256"
        guard EVP_DigestVerifyInit_ex(context, nil, digest, nil, nil, key.key, nil) == 1 else { return false }
        return signature.withUnsafeBufferPointer { signature in
            EVP_DigestVerify(context, signature.baseAddress, signature.count,
                signed.baseAddress?.assumingMemoryBound(to: UInt8.self), signed.count) == 1
        }
    }

    /// r‖s (32 bytes each, big-endian) as a DER `ECDSA-Sig-Value`, or nil when either is zero.
    static func derSignature(_ raw: [UInt8]) -> [UInt8]? {
        defer { ERR_clear_error() }
        guard let r = BN_bin2bn(raw, 32, nil) else { return nil }
        guard let s = raw.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress! + 32, 32, nil) }) else {
            BN_free(r)
            return nil
        }
        guard BN_is_zero(r) == 0, BN_is_zero(s) == 0, let signature = ECDSA_SIG_new() else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        defer { ECDSA_SIG_free(signature) }
        // From here the signature owns r and s.
        guard ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        // 72 bytes at most for P-256: two 33-byte INTEGERs with their headers, and a SEQUENCE's.
        var der = [UInt8](repeating: 0, count: 80)
        let length = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_ECDSA_SIG(signature, &cursor)
        }
        guard length > 0, Int(length) <= der.count else { return nil }
        return Array(der.prefix(Int(length)))
    }
}
