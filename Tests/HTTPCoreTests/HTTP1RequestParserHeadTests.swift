import HTTPCore
import Testing

@Suite("Parser: request heads")
struct HTTP1RequestParserHeadTests {
    @Test func requestLineAndFieldsAreReportedAsSent() {
        let heads = ParserDriver.heads(
            "PATCH /a/b?c=d&e HTTP/1.1\r\nHost: zk.example:8080\r\nX-Empty:\r\nCase-Name: MiXeD\r\n\r\n")
        #expect(heads.count == 1)
        #expect(heads.first?.method == "PATCH")
        #expect(heads.first?.target == "/a/b?c=d&e")
        #expect(heads.first?.version == "HTTP/1.1")
        #expect(heads.first?.headers == ["Host: zk.example:8080", "X-Empty: ", "Case-Name: MiXeD"])
        #expect(heads.first?.framing == HTTPBodyFraming.none)
    }

    @Test func commonMethodsMapToTheirStaticValuesAndOthersKeepTheirToken() throws {
        let get = try #require(parsedHead("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(get.method == .get)
        let custom = try #require(parsedHead("PROPFIND / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(custom.method == HTTPMethod(rawValue: "PROPFIND"))
        // Methods are case-sensitive (RFC 9110 §9.1): "get" is some other method.
        let lower = try #require(parsedHead("get / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(lower.method != .get)
    }

    @Test func optionalWhitespaceAroundValuesIsTrimmedButInnerWhitespaceIsKept() {
        let heads = ParserDriver.heads("GET / HTTP/1.1\r\nHost:h\r\nX-A: \t one  two \t \r\nX-B:\t\t\r\n\r\n")
        #expect(heads.first?.headers == ["Host: h", "X-A: one  two", "X-B: "])
    }

    @Test func obsTextInValuesIsKept() {
        let heads = ParserDriver.heads("GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\u{E9}\r\n\r\n")
        #expect(heads.first?.headers.last == "X-Name: caf\u{E9}")
    }

    @Test(arguments: [
        ("HTTP/1.1", nil, true),
        ("HTTP/1.1", "close", false),
        ("HTTP/1.1", "Close", false),
        ("HTTP/1.1", "upgrade, CLOSE", false),
        ("HTTP/1.1", "keep-alive", true),
        ("HTTP/1.1", "closed", true),
        ("HTTP/1.0", nil, false),
        ("HTTP/1.0", "keep-alive", true),
        ("HTTP/1.0", "Keep-Alive", true),
        ("HTTP/1.0", "keep-alive, close", false),
        ("HTTP/1.2", nil, true),
        ("HTTP/1.2", "close", false),
    ] as [(String, String?, Bool)])
    func keepAliveFollowsVersionAndConnection(version: String, connection: String?, keepAlive: Bool) {
        let field = connection.map { "Connection: \($0)\r\n" } ?? ""
        let heads = ParserDriver.heads("GET / \(version)\r\nHost: h\r\n\(field)\r\n")
        #expect(heads.map(\.keepAlive) == [keepAlive])
    }

    @Test(arguments: [
        ("HTTP/1.1", "Content-Length: 5\r\nExpect: 100-continue\r\n", true),
        ("HTTP/1.1", "Expect: 100-Continue\r\nTransfer-Encoding: chunked\r\n", true),
        // Nothing to wait for without a body.
        ("HTTP/1.1", "Content-Length: 0\r\nExpect: 100-continue\r\n", false),
        ("HTTP/1.1", "Expect: 100-continue\r\n", false),
        // HTTP/1.0 clients do not wait (RFC 9110 §10.1.1).
        ("HTTP/1.0", "Content-Length: 5\r\nExpect: 100-continue\r\n", false),
        ("HTTP/1.1", "Content-Length: 5\r\n", false),
    ])
    func expectContinueOnlyWhenAClientWaitsForIt(version: String, fields: String, expected: Bool) {
        let heads = ParserDriver.heads("POST / \(version)\r\nHost: h\r\n\(fields)\r\n")
        #expect(heads.map(\.expectContinue) == [expected])
    }

    @Test func absoluteFormKeepsTheTargetAndReducesThePath() throws {
        let head = try #require(parsedHead("GET http://zk.example:80/a/b?x=1 HTTP/1.1\r\nHost: zk.example\r\n\r\n"))
        #expect(head.target == "http://zk.example:80/a/b?x=1")
        #expect(head.path == "/a/b")
        #expect(head.query == "x=1")
    }

    @Test func absoluteFormWithoutPathHasRootPath() throws {
        let head = try #require(parsedHead("GET HTTPS://zk.example HTTP/1.1\r\nHost: zk.example\r\n\r\n"))
        #expect(head.path == "/")
        #expect(head.query == nil)
    }

    @Test
    func absoluteFormWithQueryButNoPathHasRootPath() throws {
        let head = try #require(parsedHead("GET http://h?next=/a HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(head.path == "/")
        #expect(head.query == "next=/a")
    }

    @Test(arguments: [
        ("/a/b?x=1&y", "/a/b", "x=1&y"),
        ("/a?", "/a", ""),
        ("/a", "/a", nil),
        ("/", "/", nil),
        ("/a?b?c", "/a", "b?c"),
    ] as [(String, String, String?)])
    func originFormPathAndQuery(target: String, path: String, query: String?) throws {
        let head = try #require(parsedHead("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(head.path == path[...])
        #expect(head.query == query?[...])
    }

    @Test func asteriskIsOnlyForOptions() {
        #expect(ParserDriver.heads("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").map(\.target) == ["*"])
        #expect(ParserDriver.error("GET * HTTP/1.1\r\nHost: h\r\n\r\n") == .invalidTarget)
        #expect(ParserDriver.error("options * HTTP/1.1\r\nHost: h\r\n\r\n") == .invalidTarget)
    }

    @Test(arguments: ["foo", "ftp://h/x", "*x", "h:443"])
    func targetsThatAreNoKnownFormAreRefused(target: String) {
        #expect(ParserDriver.error("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n") == .invalidTarget)
    }

    @Test func authorityFormIsAcceptedForConnect() {
        #expect(ParserDriver.heads("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n").map(\.target) == ["h:443"])
    }

    @Test(arguments: ["HTTP/1.2", "HTTP/1.9"])
    func laterMinorVersionsAreAnsweredAsHTTP11(version: String) {
        #expect(ParserDriver.heads("GET / \(version)\r\nHost: h\r\n\r\n").map(\.version) == ["HTTP/1.1"])
        // And they need Host, as 1.1 does.
        #expect(ParserDriver.error("GET / \(version)\r\n\r\n") == .missingHost)
    }

    @Test func http10NeedsNoHost() {
        #expect(summary(ParserDriver.records("GET / HTTP/1.0\r\n\r\n")) == ["GET / HTTP/1.0", "end"])
    }

    @Test(arguments: [
        ("Content-Length: 7\r\n", HTTPBodyFraming.length(7)),
        ("Content-Length: 0\r\n", .length(0)),
        ("Content-Length: 007\r\n", .length(7)),
        ("Transfer-Encoding: chunked\r\n", .chunked),
        ("Transfer-Encoding: CHUNKED\r\n", .chunked),
        ("", .none),
    ])
    func framingComesFromTheFields(fields: String, framing: HTTPBodyFraming) {
        #expect(ParserDriver.heads("POST / HTTP/1.1\r\nHost: h\r\n\(fields)\r\n").map(\.framing) == [framing])
    }

    @Test func emptyBodiesEndRightAfterTheHead() {
        let records = ParserDriver.records("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        #expect(summary(records) == ["POST /x HTTP/1.1", "end"])
    }

    @Test func bodyBytesAreNotReadAsTheNextHead() {
        let records = ParserDriver.records(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        #expect(summary(records) == ["POST / HTTP/1.1", "body:GET / HTTP/1.1\r\n\r\n", "end"])
    }

    @Test func idleOnlyBetweenRequests() {
        var parser = HTTP1RequestParser()
        #expect(parser.isIdle)
        let head = Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n".utf8)
        let step = head.withUnsafeBytes { parser.parse($0) }
        #expect(step.consumed == head.count)
        #expect(!parser.isIdle)
        #expect(parser.isReadingBody)
        let body = Array("ok".utf8)
        let bodyStep = body.withUnsafeBytes { parser.parse($0) }
        #expect(bodyStep.consumed == 2)
        #expect(bodyStep.event == .body(0..<2))
        #expect(body.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[2...])) }.event == .end)
        #expect(parser.isIdle)
        #expect(!parser.isReadingBody)
    }
}
