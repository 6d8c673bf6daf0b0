#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/ecdsa.h>
#include <openssl/crypto.h>
#include <openssl/bn.h>
#include <string.h>

// Function forms of OpenSSL macros, which Swift does not import.
static inline int zk_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long zk_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline size_t zk_bio_pending(BIO *bio) { return BIO_ctrl_pending(bio); }
static inline uint64_t zk_ssl_server_options(void) {
    return SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;
}
static inline uint64_t zk_ssl_client_options(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline long zk_ssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline void zk_bio_set_mem_eof_return(BIO *bio, int value) { (void)BIO_set_mem_eof_return(bio, value); }
// The DNS and IP subject alternative names of a certificate, one per call (index from 0),
// copied into `out`: returns the length copied, 0 for a name of another kind, -1 past the end.
// `kind` is 1 for DNS, 2 for an IP address (raw bytes).
static inline int zk_x509_san(X509 *cert, int index, int *kind, unsigned char *out, int capacity) {
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return -1;
    int length = -1;
    if (index < sk_GENERAL_NAME_num(names)) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, index);
        const ASN1_STRING *value = NULL;
        *kind = 0;
        if (name->type == GEN_DNS) { *kind = 1; value = name->d.dNSName; }
        else if (name->type == GEN_IPADD) { *kind = 2; value = name->d.iPAddress; }
        length = 0;
        if (value != NULL) {
            length = ASN1_STRING_length(value);
            if (length > capacity) length = capacity;
            memcpy(out, ASN1_STRING_get0_data(value), (size_t)length);
        }
    }
    GENERAL_NAMES_free(names);
    return length;
}
