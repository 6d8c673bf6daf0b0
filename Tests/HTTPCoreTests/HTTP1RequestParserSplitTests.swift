import HTTPCore
import Testing

/// Byte streams whose parse must not depend on how TCP happened to cut them.
enum SplitSample: String, CaseIterable, Sendable {
    case getWithHeaders, postWithLength, chunkedWithExtensionsAndTrailers, pipelinedBatch, leadingCRLF
    case http10KeepAlive, goodThenDuplicateHost, chunkedMissingCRLF

    var text: String {
        switch self {
        case .getWithHeaders:
            "GET /zk/a?watch=1 HTTP/1.1\r\nHost: example\r\nAccept: application/json\r\nUser-Agent: t/1\r\n"
                + "X-Trace:  abc \r\n\r\n"
        case .postWithLength:
            "POST /zk/b HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world"
        case .chunkedWithExtensionsAndTrailers:
            "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;a=b\r\nhello\r\n6;name=\"quoted; value\"\r\n world\r\nA\r\n0123456789\r\n"
                + "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        case .pipelinedBatch:
            "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                + "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                + "PUT /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
        case .leadingCRLF:
            "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"
        case .http10KeepAlive:
            "GET /old HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"
        case .goodThenDuplicateHost:
            "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n"
        case .chunkedMissingCRLF:
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"
        }
    }

    /// What a caller sees, written out by hand so the reference parse is checked too.
    var expected: [String] {
        switch self {
        case .getWithHeaders: ["GET /zk/a?watch=1 HTTP/1.1", "end"]
        case .postWithLength: ["POST /zk/b HTTP/1.1", "body:hello world", "end"]
        case .chunkedWithExtensionsAndTrailers: ["POST /c HTTP/1.1", "body:hello world0123456789", "end"]
        case .pipelinedBatch:
            ["GET /1 HTTP/1.1", "end", "POST /2 HTTP/1.1", "body:abc", "end", "PUT /3 HTTP/1.1", "body:xy", "end"]
        case .leadingCRLF: ["GET / HTTP/1.1", "end"]
        case .http10KeepAlive: ["GET /old HTTP/1.0", "body:ok", "end"]
        case .goodThenDuplicateHost: ["GET / HTTP/1.1", "end", "error:duplicateHost"]
        case .chunkedMissingCRLF: ["POST / HTTP/1.1", "body:hello", "error:invalidChunkFraming"]
        }
    }
}

func summary(_ records: [ParseRecord]) -> [String] {
    records.map {
        switch $0 {
        case .head(let h): "\(h.method) \(h.target) \(h.version)"
        case .body(let b): "body:" + String(decoding: b, as: UTF8.self)
        case .end: "end"
        case .error(let e): "error:\(e)"
        case .violation(let v): "violation:\(v)"
        }
    }
}

@Suite("Parser: results independent of how bytes are split")
struct HTTP1RequestParserSplitTests {
    @Test(arguments: SplitSample.allCases)
    func allAtOnceGivesTheExpectedEvents(_ sample: SplitSample) {
        #expect(summary(ParserDriver.records(sample.text)) == sample.expected)
    }

    @Test(arguments: SplitSample.allCases)
    func everyTwoWaySplitMatchesAllAtOnce(_ sample: SplitSample) {
        let bytes = Array(sample.text.utf8)
        let reference = ParserDriver.records([bytes])
        for cut in 0...bytes.count {
            let split = ParserDriver.records([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(split == reference, "split at \(cut)")
            if split != reference { break }
        }
    }

    @Test(arguments: SplitSample.allCases)
    func oneByteAtATimeMatchesAllAtOnce(_ sample: SplitSample) {
        let bytes = Array(sample.text.utf8)
        #expect(ParserDriver.records(bytes.map { [$0] }) == ParserDriver.records([bytes]))
    }

    @Test(arguments: SplitSample.allCases)
    func everyThreeWaySplitWithAShortMiddlePieceMatches(_ sample: SplitSample) {
        // A short middle piece puts two cuts inside one CRLF or CRLFCRLF, where partial scanning
        // state is hardest.
        let bytes = Array(sample.text.utf8)
        let reference = ParserDriver.records([bytes])
        for a in 0...bytes.count {
            for b in a...min(bytes.count, a + 6) {
                let split = ParserDriver.records([Array(bytes[..<a]), Array(bytes[a..<b]), Array(bytes[b...])])
                #expect(split == reference, "cuts at \(a), \(b)")
                if split != reference { return }
            }
        }
    }

    @Test
    func oversizedLinesEndingInBareLFGiveTheSameErrorHoweverSplit() {
        // At once the bare LF is found (400); cut after the limit, the size is (414 / 431).
        let line = Array("GET /aaaaaaaaaa\n".utf8)
        let shortLine = HTTP1RequestParser.Limits(maxRequestLine: 8)
        #expect(ParserDriver.records([Array(line[..<10]), Array(line[10...])], limits: shortLine)
            == ParserDriver.records([line], limits: shortLine))

        let head = Array(("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 20) + "\n").utf8)
        let smallHeaders = HTTP1RequestParser.Limits(maxHeaderBytes: 16)
        #expect(ParserDriver.records([Array(head[..<33]), Array(head[33...])], limits: smallHeaders)
            == ParserDriver.records([head], limits: smallHeaders))
    }

    @Test func headValuesSurviveByteAtATimeFeeding() {
        let bytes = Array(SplitSample.http10KeepAlive.text.utf8)
        guard case .head(let head) = ParserDriver.records(bytes.map { [$0] }).first else {
            Issue.record("no head")
            return
        }
        #expect(head.keepAlive)
        #expect(head.headers == ["Connection: keep-alive", "Content-Length: 2"])
        #expect(head.framing == .length(2))
    }
}
