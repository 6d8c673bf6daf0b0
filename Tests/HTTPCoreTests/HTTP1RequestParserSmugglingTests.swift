import HTTPCore
import Testing

private func post(_ fields: String, version: String = "HTTP/1.1") -> String {
    "POST / \(version)\r\nHost: h\r\n\(fields)\r\n"
}

private let chunkedHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

/// Every shape that two HTTP implementations could frame differently must be refused, never
/// guessed at: one (label, request, error, status) per shape.
private let headShapes: [(String, String, HTTP1ParseError, Int)] = [
    ("CL then TE", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), .contentLengthWithTransferEncoding, 400),
    ("TE then CL", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), .contentLengthWithTransferEncoding, 400),
    ("duplicate CL, same value", post("Content-Length: 5\r\nContent-Length: 5\r\n"), .duplicateContentLength, 400),
    ("duplicate CL, other value", post("Content-Length: 5\r\ncontent-length: 6\r\n"), .duplicateContentLength, 400),
    ("CL list", post("Content-Length: 5, 5\r\n"), .invalidContentLength, 400),
    ("CL plus sign", post("Content-Length: +5\r\n"), .invalidContentLength, 400),
    ("CL minus sign", post("Content-Length: -5\r\n"), .invalidContentLength, 400),
    ("CL inner space", post("Content-Length: 1 0\r\n"), .invalidContentLength, 400),
    ("CL hex", post("Content-Length: 0x5\r\n"), .invalidContentLength, 400),
    ("CL decimal point", post("Content-Length: 5.0\r\n"), .invalidContentLength, 400),
    ("CL empty", post("Content-Length:\r\n"), .invalidContentLength, 400),
    ("CL 19 digits", post("Content-Length: 1000000000000000000\r\n"), .invalidContentLength, 400),
    ("CL 18 digits", post("Content-Length: 999999999999999999\r\n"), .bodyTooLarge(limit: 1 << 20), 413),
    ("TE chunked twice in one field", post("Transfer-Encoding: chunked, chunked\r\n"), .chunkedNotFinal, 400),
    ("TE chunked twice in two fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), .chunkedNotFinal, 400),
    ("TE chunked then gzip", post("Transfer-Encoding: chunked, gzip\r\n"), .chunkedNotFinal, 400),
    ("TE empty list", post("Transfer-Encoding: ,\r\n"), .chunkedNotFinal, 400),
    ("TE gzip then chunked", post("Transfer-Encoding: gzip, chunked\r\n"), .unsupportedTransferCoding("gzip"), 501),
    ("TE gzip then chunked, two fields", post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), .unsupportedTransferCoding("gzip"), 501),
    ("TE gzip", post("Transfer-Encoding: gzip\r\n"), .unsupportedTransferCoding("gzip"), 501),
    ("TE look-alike", post("Transfer-Encoding: xchunked\r\n"), .unsupportedTransferCoding("xchunked"), 501),
    ("TE in HTTP/1.0", post("Transfer-Encoding: chunked\r\n", version: "HTTP/1.0"), .transferEncodingInHTTP10, 400),
    ("obs-fold", post("X-A: one\r\n two\r\n"), .obsoleteLineFolding, 400),
    ("obs-fold with tab", post("X-A: one\r\n\ttwo\r\n"), .obsoleteLineFolding, 400),
    ("fold right after the request line", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", .obsoleteLineFolding, 400),
    ("space before colon", post("Content-Length : 5\r\n"), .invalidHeaderName, 400),
    ("tab before colon", post("Transfer-Encoding\t: chunked\r\n"), .invalidHeaderName, 400),
    ("empty name", post(": x\r\n"), .invalidHeaderName, 400),
    ("no colon", post("X-A\r\n"), .invalidHeaderName, 400),
    ("bare LF after request line", "GET / HTTP/1.1\nHost: h\r\n\r\n", .invalidLineEnding, 400),
    ("bare LF after field", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", .invalidLineEnding, 400),
    ("bare LF ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\n", .invalidLineEnding, 400),
    ("bare LF before request line", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidLineEnding, 400),
    ("bare CR inside value", post("X-A: a\rb\r\n"), .invalidHeaderValue, 400),
    ("bare CR ending a field", post("X-A: a\r\rX-B: b\r\n"), .invalidHeaderValue, 400),
    ("bare CR in name", post("X-A\r: a\r\n"), .invalidHeaderName, 400),
    ("NUL in value", post("X-A: a\u{0}b\r\n"), .invalidHeaderValue, 400),
    ("DEL in value", post("X-A: a\u{7F}b\r\n"), .invalidHeaderValue, 400),
    ("NUL in name", post("X\u{0}A: a\r\n"), .invalidHeaderName, 400),
    ("missing Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .missingHost, 400),
    ("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .duplicateHost, 400),
    ("two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .duplicateHost, 400),
    ("Expect other than 100-continue", post("Content-Length: 1\r\nExpect: 101-switch\r\n"), .unsupportedExpectation("101-switch"), 417),
    ("Expect with chunked", post("Transfer-Encoding: chunked\r\nExpect: foo\r\n"), .unsupportedExpectation("foo"), 417),
    ("method with (", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, 400),
    ("method with @", "GET@ / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, 400),
    ("method with control", "GE\u{1}T / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod, 400),
    ("target with control", "GET /a\u{1} HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 400),
    ("target with tab", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 400),
    ("target with CR", "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 400),
    ("target with DEL", "GET /a\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 400),
    ("target non-ASCII", "GET /caf\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget, 400),
    ("two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .malformedRequestLine, 400),
    ("no version", "GET /\r\nHost: h\r\n\r\n", .malformedRequestLine, 400),
    ("leading space", " GET / HTTP/1.1\r\nHost: h\r\n\r\n", .malformedRequestLine, 400),
    ("lowercase protocol", "GET / http/1.1\r\nHost: h\r\n\r\n", .invalidVersion, 400),
    ("version with letters", "GET / HTTP/1.x\r\nHost: h\r\n\r\n", .invalidVersion, 400),
    ("version without minor", "GET / HTTP/1\r\nHost: h\r\n\r\n", .invalidVersion, 400),
    ("two-digit minor", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", .invalidVersion, 400),
    ("trailing space after version", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", .invalidVersion, 400),
    ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", .unsupportedVersion, 505),
    ("HTTP/0.9", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", .unsupportedVersion, 505),
    ("HTTP/3.0", "GET / HTTP/3.0\r\nHost: h\r\n\r\n", .unsupportedVersion, 505),
]

/// Shapes inside a chunked body; the head before them is fine.
private let bodyShapes: [(String, String, HTTP1ParseError)] = [
    ("chunk size not hex", "xyz\r\n", .invalidChunkSize),
    ("chunk size empty", "\r\n", .invalidChunkSize),
    ("chunk size 16 digits", "0000000000000001\r\n", .invalidChunkSize),
    ("chunk size negative", "-1\r\n", .invalidChunkSize),
    ("chunk size 0x prefix", "0x5\r\n", .invalidChunkSize),
    ("chunk size bare LF", "5\nhello\r\n0\r\n\r\n", .invalidChunkSize),
    ("chunk size CR without LF", "5\rhello\r\n", .invalidChunkFraming),
    ("no CRLF after data", "5\r\nhelloXX", .invalidChunkFraming),
    ("bare LF after data", "5\r\nhello\n0\r\n\r\n", .invalidChunkFraming),
    ("CR then junk after data", "5\r\nhello\rX", .invalidChunkFraming),
    ("junk then LF after data", "5\r\nhelloX\n0\r\n\r\n", .invalidChunkFraming),
    ("bare LF in extension", "5;a\nhello\r\n", .invalidChunkFraming),
    ("NUL in extension", "5;a\u{0}\r\nhello\r\n", .invalidChunkFraming),
    ("obs-fold in trailers", "0\r\nX-A: b\r\n c\r\n\r\n", .obsoleteLineFolding),
    ("space before trailer colon", "0\r\nX-A : b\r\n\r\n", .invalidHeaderName),
    ("trailer without colon", "0\r\nX-A\r\n\r\n", .invalidHeaderName),
    ("bare LF in trailer", "0\r\nX-A: b\nX-B: c\r\n\r\n", .invalidHeaderValue),
    ("bare CR in trailer", "0\r\nX-A: b\rX\r\n\r\n", .invalidLineEnding),
    ("NUL in trailer value", "0\r\nX-A: b\u{0}\r\n\r\n", .invalidHeaderValue),
    ("bare LF ending the trailers", "0\r\n\n", .invalidHeaderName),
]

@Suite("Parser: request smuggling and ambiguous framing")
struct HTTP1RequestParserSmugglingTests {
    @Test(arguments: headShapes)
    func headShapeIsRefusedBeforeAnyEvent(label: String, request: String, error: HTTP1ParseError, status: Int) {
        #expect(ParserDriver.records(request) == [.error(error)], "\(label)")
        #expect(error.status.code == status, "\(label)")
    }

    @Test(arguments: bodyShapes)
    func bodyShapeIsRefused(label: String, body: String, error: HTTP1ParseError) {
        #expect(ParserDriver.records(chunkedHead + body).last == .error(error), "\(label)")
        #expect(error.status.code == 400, "\(label)")
    }

    @Test func targetWithSpaceIsRefusedWith400() {
        let records = ParserDriver.records("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(records.count == 1)
        guard case .error(let error) = records.first else {
            Issue.record("no error: \(records)")
            return
        }
        #expect(error.status.code == 400)
    }

    @Test func chunkedBodyBeforeTheFramingErrorIsStillDelivered() {
        // Bytes that were well framed reach the handler; only then does the error stop it.
        let records = ParserDriver.records(chunkedHead + "3\r\nabc\r\n2\r\nxyZZ")
        #expect(summary(records) == ["POST / HTTP/1.1", "body:abcxy", "error:invalidChunkFraming"])
    }

    @Test func fieldsThatLookAlikeButAreNotFramingAreIgnored() {
        let heads = ParserDriver.heads(post("Transfer_Encoding: chunked\r\nContent-Lengths: 3\r\nContent-Length: 2\r\n"))
        #expect(heads.map(\.framing) == [.length(2)])
    }

    @Test func contentLengthMayBeSurroundedByOptionalWhitespace() {
        #expect(ParserDriver.heads(post("Content-Length: \t5 \r\n")).map(\.framing) == [.length(5)])
    }

    @Test func transferCodingNamesAreCaseInsensitive() {
        #expect(ParserDriver.heads(post("Transfer-Encoding: Chunked \r\n")).map(\.framing) == [.chunked])
    }

    @Test func expectIsIgnoredInHTTP10() {
        let heads = ParserDriver.heads(post("Content-Length: 1\r\nExpect: foo\r\n", version: "HTTP/1.0"))
        #expect(heads.map(\.framing) == [.length(1)])
    }
}
