import COpenSSL

/// Public keys made from JWK members with OpenSSL 3's provider interface (`EVP_PKEY_fromdata`),
/// not the deprecated `EC_KEY` and `RSA` structures. Each returns nil when OpenSSL refuses
/// the material (a point off the curve, say), with the thread's error queue emptied: a TLS
/// connection on the same thread reads that queue, and a stale entry would be taken as its own.
extension JWK {
    /// A P-256 key from its affine coordinates, 32 bytes each. OpenSSL checks that the point
    /// lies on the curve (and `EVP_PKEY_public_check` once more, with the point's order).
    static func p256(x: [UInt8], y: [UInt8]) -> OpaquePointer? {
        let point = [0x04] + x + y
        return point.withUnsafeBytes { point in
            withCStrings([OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", OSSL_PKEY_PARAM_PUB_KEY]) { names in
                fromData(type: "EC") { builder in
                    OSSL_PARAM_BLD_push_utf8_string(builder, names[0], names[1], 0) == 1
                        && OSSL_PARAM_BLD_push_octet_string(builder, names[2], point.baseAddress, point.count) == 1
                }
            }
        }
    }

    /// An RSA public key from its big-endian modulus and exponent.
    static func rsa(modulus: OpaquePointer, exponent: OpaquePointer) -> OpaquePointer? {
        withCStrings([OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E]) { names in
            fromData(type: "RSA") { builder in
                OSSL_PARAM_BLD_push_BN(builder, names[0], modulus) == 1
                    && OSSL_PARAM_BLD_push_BN(builder, names[1], exponent) == 1
            }
        }
    }

    /// An Ed25519 key from its 32 raw bytes.
    static func ed25519(_ raw: [UInt8]) -> OpaquePointer? {
        let key = raw.withUnsafeBufferPointer { EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) }
        if key == nil { ERR_clear_error() }
        return key
    }

    /// `EVP_PKEY_PUBLIC_KEY`, a macro Swift does not import: the public key with its domain
    /// and other parameters.
    private static let publicKeySelection = Int32(
        OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS)

    /// The key that the parameters `push` adds to a builder describe, checked.
    ///
    /// A builder keeps pointers to the names and values pushed into it (and the parameter array
    /// it makes keeps the names), so the callers hold all of them alive around this call.
    private static func fromData(type: String, _ push: (OpaquePointer) -> Bool) -> OpaquePointer? {
        defer { ERR_clear_error() }
        guard let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        guard push(builder), let parameters = OSSL_PARAM_BLD_to_param(builder) else { return nil }
        defer { OSSL_PARAM_free(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1,
            EVP_PKEY_fromdata(context, &key, publicKeySelection, parameters) == 1, let key
        else { return nil }
        guard let check = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            EVP_PKEY_free(key)
            return nil
        }
        defer { EVP_PKEY_CTX_free(check) }
        guard EVP_PKEY_public_check(check) == 1 else {
            EVP_PKEY_free(key)
            return nil
        }
        return key
    }

    /// `body` with NUL-terminated copies of `strings` that live until it returns (a String
    /// passed straight to a C parameter lives only for that one call).
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>]) -> R) -> R {
        let copies = strings.map { string in
            let utf8 = string.utf8CString
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
            utf8.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: utf8.count) }
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        return body(copies.map { UnsafePointer($0) })
    }
}
