import HTTPCore
import Testing

private let chunkedHead = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

@Suite("Parser: chunked request bodies")
struct HTTP1ChunkedTests {
    @Test(arguments: [
        ("a\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
        ("A\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
        ("000A\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
        // 15 digits is the most the parser reads; leading zeros count.
        ("00000000000000a\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
        ("1\r\nx\r\n1\r\ny\r\n0\r\n\r\n", "xy"),
        ("5 ;a=b\r\nhello\r\n0\r\n\r\n", "hello"),
        ("5\t;a\r\nhello\r\n0\r\n\r\n", "hello"),
        ("5;a=\"x\\\"y;z\";b\r\nhello\r\n0;last\r\n\r\n", "hello"),
        ("0\r\n\r\n", ""),
    ])
    func bodiesDecodeToTheirData(wire: String, body: String) {
        let expected = ["POST /c HTTP/1.1"] + (body.isEmpty ? [] : ["body:" + body]) + ["end"]
        #expect(summary(ParserDriver.records(chunkedHead + wire)) == expected)
    }

    @Test func trailersAreValidatedThenDropped() {
        let records = ParserDriver.records(chunkedHead + "2\r\nok\r\n0\r\nX-Sum: 1\r\nX-Empty:\r\n\r\n")
        #expect(summary(records) == ["POST /c HTTP/1.1", "body:ok", "end"])
        guard case .head(let head) = records.first else { return }
        #expect(!head.headers.contains { $0.hasPrefix("X-Sum") })
    }

    @Test func bodyEventsPointIntoTheCallersBytesAndConsumeTheFramingBeforeThem() {
        var parser = HTTP1RequestParser()
        let head = Array(chunkedHead.utf8)
        #expect(head.withUnsafeBytes { parser.parse($0) }.consumed == head.count)

        let first = Array("5;x\r\nhel".utf8)
        let step1 = first.withUnsafeBytes { parser.parse($0) }
        #expect(step1.consumed == 8)
        #expect(step1.event == .body(5..<8))

        let rest = Array("lo\r\n0\r\n\r\nNEXT".utf8)
        let step2 = rest.withUnsafeBytes { parser.parse($0) }
        #expect(step2.consumed == 2)
        #expect(step2.event == .body(0..<2))

        let tail = Array(rest[2...])
        let step3 = tail.withUnsafeBytes { parser.parse($0) }
        // Stops right after the last CRLF, leaving the next request's bytes.
        #expect(step3.consumed == 7)
        #expect(step3.event == .end)
        #expect(parser.isIdle)
    }

    @Test func incompleteFramingIsConsumedWhileWaiting() {
        var parser = HTTP1RequestParser()
        let head = Array(chunkedHead.utf8)
        _ = head.withUnsafeBytes { parser.parse($0) }
        let partial = Array("1f;ext".utf8)
        let step = partial.withUnsafeBytes { parser.parse($0) }
        // Framing state lives in the parser, so the caller need not keep these bytes.
        #expect(step.consumed == partial.count)
        #expect(step.event == .needMoreData)
        #expect(parser.isReadingBody)
    }

    @Test func aRequestAfterAChunkedOneIsParsed() {
        let records = ParserDriver.records(chunkedHead + "1\r\na\r\n0\r\nT: v\r\n\r\nGET /n HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(summary(records) == ["POST /c HTTP/1.1", "body:a", "end", "GET /n HTTP/1.1", "end"])
    }

    @Test func largeChunkArrivingInPiecesIsDeliveredWhole() {
        let data = String(repeating: "0123456789abcdef", count: 256)
        let wire = Array((chunkedHead + "1000\r\n" + data + "\r\n0\r\n\r\n").utf8)
        let pieces = stride(from: 0, to: wire.count, by: 333).map { Array(wire[$0..<min($0 + 333, wire.count)]) }
        #expect(summary(ParserDriver.records(pieces)) == ["POST /c HTTP/1.1", "body:" + data, "end"])
    }
}
