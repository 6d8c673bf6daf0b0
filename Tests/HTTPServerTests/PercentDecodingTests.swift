import HTTPServer
import Testing

@Suite("PercentDecoding")
struct PercentDecodingTests {
    @Test(arguments: [
        ("plain", "plain"), ("a%20b", "a b"), ("%41%42c", "ABc"), ("%c3%a9", "é"), ("%C3%A9", "é"),
        ("a+b", "a+b"), ("%2B", "+"), ("%25", "%"), ("%2525", "%25"), ("", ""), ("a/b", "a/b"),
    ])
    func decodesPathText(raw: String, decoded: String) {
        #expect(PercentDecoding.decodePath(Substring(raw)) == decoded)
    }

    /// Each would make a path ambiguous (an encoded slash), unsafe (NUL), or is not UTF-8.
    @Test(arguments: ["%2F", "%2f", "a%2Fb", "x/%2f", "%00", "a%00", "%", "%4", "%zz", "%g1", "%ff", "%C3", "%C3%28"])
    func refusesInPaths(raw: String) {
        #expect(PercentDecoding.decodePath(Substring(raw)) == nil)
    }

    @Test(arguments: [
        ("a+b", "a b"), ("a%2Bb", "a+b"), ("%2F", "/"), ("x%20y+z", "x y z"), ("%C3%A9", "é"), ("", ""), ("++", "  "),
    ])
    func decodesQueryComponents(raw: String, decoded: String) {
        #expect(PercentDecoding.decodeQueryComponent(Substring(raw)) == decoded)
    }

    @Test(arguments: ["%", "%4", "%zz", "%ff", "a%C3"])
    func refusesBadQueryEscapes(raw: String) {
        #expect(PercentDecoding.decodeQueryComponent(Substring(raw)) == nil)
    }

    /// Decoding works on a substring of a larger string (indices are not assumed to start at 0).
    @Test func decodesSubstringsInPlace() {
        let target = "/v1/a%20b?q=x+y"
        let path = target[target.index(target.startIndex, offsetBy: 4)..<target.firstIndex(of: "?")!]
        #expect(PercentDecoding.decodePath(path) == "a b")
        let query = target[target.index(after: target.firstIndex(of: "?")!)...]
        #expect(PercentDecoding.decodeQueryComponent(query) == "q=x y")
    }
}
