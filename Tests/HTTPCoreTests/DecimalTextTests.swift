import HTTPCore
import Testing

/// Header integers are written in place; they must read exactly as `String(Int64)` does.
struct DecimalTextTests {
    static let values: [Int64] = [0, 9, 10, 99, 100, 4_294_967_295, 4_294_967_296, -1, -10,
                                  Int64.max, Int64.min, 1_000_000_000_000_000_000]

    @Test(arguments: values)
    func matchesTheStandardLibrary(value: Int64) {
        #expect(DecimalText.string(value) == String(value))
    }

    /// The access log's appender shares the writer: the same text, after what was there.
    @Test(arguments: values)
    func appendedAsTheStandardLibraryPrintsIt(value: Int64) {
        var out = Array("n=".utf8)
        HTTP1ResponseSerializer.appendDecimal(Int(value), to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "n=\(value)")
    }

    @Test func quotedPairIsAnETag() {
        #expect(DecimalText.quotedPair(0, 0) == #""0.0""#)
        #expect(DecimalText.quotedPair(17_179_869_185, 12) == #""17179869185.12""#)
        // The widest pair fills all 43 bytes.
        #expect(DecimalText.quotedPair(Int64.min, Int64.min) == "\"\(Int64.min).\(Int64.min)\"")
        #expect(DecimalText.quotedPair(Int64.max, -3) == "\"\(Int64.max).-3\"")
    }
}
