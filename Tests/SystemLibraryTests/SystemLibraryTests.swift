import CNGHTTP2
import COpenSSL
import Testing

/// The HTTP/2 and TLS layers build on these libraries; this proves they link and are the
/// versions the protocol notes were written against.
@Suite struct SystemLibraryTests {
    @Test func nghttp2IsAtLeast1_52() throws {
        let info = try #require(nghttp2_version(0))
        #expect(info.pointee.version_num >= 0x013400)
    }

    @Test func openSSLIsVersion3() {
        #expect(OpenSSL_version_num() >> 28 == 3)
    }
}
