import HTTPCore
import Testing

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test func lookupIgnoresCaseAndKeepsOrder() {
        var h = HTTPHeaders([(name: "Accept", value: "a"), (name: "X-Id", value: "1"), (name: "x-id", value: "2")])
        #expect(h["ACCEPT"] == "a")
        #expect(h.values("X-ID") == ["1", "2"])
        #expect(h.contains("x-Id"))
        #expect(!h.contains("X-I"))
        h.replaceOrAdd(name: "X-ID", value: "3")
        #expect(h.map(\.name) == ["Accept", "X-ID"])
        h.remove(name: "accept")
        #expect(h.count == 1)
        #expect(h["x-id"] == "3")
    }

    @Test func caseFoldingMatchesLetters() {
        #expect(HTTPHeaders.equalsIgnoringCase("Content-Type", "content-TYPE"))
        #expect(!HTTPHeaders.equalsIgnoringCase("a", "ab"))
        #expect(!HTTPHeaders.equalsIgnoringCase("X-A", "X-B"))
    }

    @Test
    func caseFoldingIsOnlyForLetters() {
        // Both are valid tchar names, so both can come from a client or a handler.
        #expect(!HTTPHeaders.equalsIgnoringCase("X-A^", "X-A~"))
        #expect(HTTPHeaders([(name: "X-A~", value: "1")])["X-A^"] == nil)
    }

    @Test func equalityIsOrderAndCaseSensitive() {
        #expect(HTTPHeaders([(name: "A", value: "1")]) == ["A": "1"])
        #expect(HTTPHeaders([(name: "A", value: "1")]) != ["a": "1"])
        #expect(HTTPHeaders([(name: "A", value: "1"), (name: "B", value: "2")]) != ["B": "2", "A": "1"])
    }
}
