import JSON
import Testing

@Suite("Base64")
struct Base64Tests {
    /// RFC 4648 §10 test vectors.
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func everyByteRoundTrips() {
        let bytes = (0..<256).map { UInt8($0) } + [0xFF, 0x00]
        for n in 0...bytes.count {
            let slice = Array(bytes.prefix(n))
            #expect(Base64.decode(Base64.encode(slice)) == slice)
        }
    }

    @Test(arguments: ["Zg", "Zg=", "Zg===", "Z===", "Zm 9v", "Zm9v\n", "Zm-v", "=Zm9", "Zg==Zg=="])
    func rejectsMalformed(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    /// RFC 4648 §3.5 lets a decoder ignore the unused bits before the padding.
    @Test func ignoresUnusedBitsBeforePadding() {
        #expect(Base64.decode("Zh==") == Array("f".utf8))
        #expect(Base64.decode("Zm9=") == Array("fo".utf8))
    }
}
