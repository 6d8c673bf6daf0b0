import HTTPCore
import HTTPServer
import Testing

/// Query strings as handlers see them (`request.query`), built from a request target.
@Suite("QueryParameters")
struct QueryParametersTests {
    func query(_ target: String) -> QueryParameters {
        HTTPRequest(head: HTTPRequestHead(method: .get, target: target)).query
    }

    @Test func looksUpDecodedValues() {
        let q = query("/x?a=1&b=two&c=x%20y")
        #expect(q["a"] == "1")
        #expect(q["b"] == "two")
        #expect(q["c"] == "x y")
        #expect(q["missing"] == nil)
    }

    @Test func plusIsSpaceAndEncodedPlusIsPlus() {
        let q = query("/x?q=hello+world&p=1%2B1")
        #expect(q["q"] == "hello world")
        #expect(q["p"] == "1+1")
    }

    @Test func repeatedKeysGiveTheFirst() {
        #expect(query("/x?a=1&a=2&a=3")["a"] == "1")
    }

    @Test func bareKeyIsEmptyString() {
        let q = query("/x?flag&x=1&empty=")
        #expect(q["flag"] == "")
        #expect(q["empty"] == "")
        #expect(q.contains("flag"))
        #expect(!q.contains("nope"))
    }

    @Test func undecodablePairsAreSkipped() {
        let q = query("/x?a=%zz&a=ok&b=%ff&c=1")
        #expect(q["a"] == "ok", "the undecodable first 'a' is skipped, not returned")
        #expect(q["b"] == nil)
        #expect(q["c"] == "1")
        #expect(Array(q).map { "\($0.0)=\($0.1)" } == ["a=ok", "c=1"])
    }

    @Test func keysAreDecodedToo() {
        let q = query("/x?na%6De=v&a+b=c")
        #expect(q["name"] == "v")
        #expect(q["a b"] == "c")
    }

    @Test func emptyPairsAndExtraEqualsSigns() {
        let q = query("/x?&&a=1&&b==2&")
        #expect(q["a"] == "1")
        #expect(q["b"] == "=2")
        #expect(Array(q).count == 2)
    }

    @Test func noQueryAndEmptyQuery() {
        #expect(Array(query("/x")).isEmpty)
        #expect(Array(query("/x?")).isEmpty)
        #expect(query("/x")["a"] == nil)
    }

    @Test func iteratesInOrder() {
        #expect(Array(query("/x?b=2&a=1&b=3")).map { "\($0.0)=\($0.1)" } == ["b=2", "a=1", "b=3"])
    }
}
