import HTTPCore
import Testing

/// Small limits keep the boundary inputs short enough to read.
private let limits = HTTP1RequestParser.Limits(
    maxRequestLine: 32, maxHeaderBytes: 64, maxHeaderCount: 4, maxBody: 16, maxChunkLine: 8)

/// A request line of exactly `length` bytes (without CRLF).
private func requestLine(length: Int) -> String {
    "GET /" + String(repeating: "a", count: length - 14) + " HTTP/1.1"
}

/// A header section of exactly `length` bytes after the request line, final CRLF included.
private func headerSection(length: Int) -> String {
    "Host: h\r\nX: " + String(repeating: "v", count: length - 16) + "\r\n\r\n"
}

private let chunkedHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

/// A trailer section whose field lines (CRLFs included, final empty line not) take `length` bytes.
private func trailers(length: Int) -> String {
    "X: " + String(repeating: "t", count: length - 5) + "\r\n"
}

@Suite("Parser: size limits and their statuses")
struct HTTP1RequestParserLimitTests {
    @Test func defaults() {
        let d = HTTP1RequestParser.Limits()
        #expect([d.maxRequestLine, d.maxHeaderBytes, d.maxHeaderCount, d.maxBody, d.maxChunkLine]
            == [8192, 16384, 128, 1 << 20, 4096])
    }

    @Test func requestLineAtTheLimitPassesAndOneMoreIs414() {
        #expect(requestLine(length: 32).utf8.count == 32)
        let ok = ParserDriver.records(requestLine(length: 32) + "\r\nHost: h\r\n\r\n", limits: limits)
        #expect(summary(ok).last == "end")
        let error = ParserDriver.error(requestLine(length: 33) + "\r\nHost: h\r\n\r\n", limits: limits)
        #expect(error == .requestLineTooLong)
        #expect(error?.status.code == 414)
    }

    @Test func partialRequestLineIs414AsSoonAsItCannotFit() {
        // limit + 1 bytes may still be the line and its CR.
        var driver = ParserDriver(limits: limits)
        driver.feed(Array((requestLine(length: 32) + "\r").utf8))
        #expect(driver.records.isEmpty)
        driver.feed(Array("\nHost: h\r\n\r\n".utf8))
        #expect(summary(driver.records) == ["GET /aaaaaaaaaaaaaaaaaa HTTP/1.1", "end"])

        let long = Array((requestLine(length: 40)).utf8.prefix(34))
        #expect(ParserDriver.records([long], limits: limits) == [.error(.requestLineTooLong)])
    }

    @Test func headerSectionAtTheLimitPassesAndOneMoreIs431() {
        #expect(headerSection(length: 64).utf8.count == 64)
        let ok = ParserDriver.records("GET / HTTP/1.1\r\n" + headerSection(length: 64), limits: limits)
        #expect(summary(ok) == ["GET / HTTP/1.1", "end"])
        let error = ParserDriver.error("GET / HTTP/1.1\r\n" + headerSection(length: 65), limits: limits)
        #expect(error == .headersTooLarge)
        #expect(error?.status.code == 431)
    }

    @Test func partialHeaderSectionIs431OnceOverTheLimit() {
        let full = Array(("GET / HTTP/1.1\r\n" + headerSection(length: 80)).utf8)
        let atLimit = Array(full.prefix(16 + 64))
        #expect(ParserDriver.records([atLimit], limits: limits).isEmpty)
        let overLimit = Array(full.prefix(16 + 65))
        #expect(ParserDriver.records([overLimit], limits: limits) == [.error(.headersTooLarge)])
    }

    @Test func headerCountAtTheLimitPassesAndOneMoreIs431() {
        let four = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
        #expect(summary(ParserDriver.records(four + "\r\n", limits: limits)) == ["GET / HTTP/1.1", "end"])
        let error = ParserDriver.error(four + "D: 4\r\n\r\n", limits: limits)
        #expect(error == .tooManyHeaders)
        #expect(error?.status.code == 431)
        // Known as soon as the fifth line ends, before the head does.
        #expect(ParserDriver.records(four + "D: 4\r\n", limits: limits) == [.error(.tooManyHeaders)])
    }

    @Test func contentLengthOverTheLimitIs413AtTheHead() {
        let ok = ParserDriver.records(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n0123456789abcdef", limits: limits)
        #expect(summary(ok) == ["POST / HTTP/1.1", "body:0123456789abcdef", "end"])
        // No head event: the handler never sees a request it cannot receive.
        let records = ParserDriver.records("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n", limits: limits)
        #expect(records == [.error(.bodyTooLarge(limit: 16))])
        #expect(HTTP1ParseError.bodyTooLarge(limit: 16).status.code == 413)
    }

    @Test func chunkedTotalAtTheLimitPassesAndOneMoreIs413() {
        let sixteen = "8\r\n01234567\r\n8\r\n89abcdef\r\n"
        let ok = ParserDriver.records(chunkedHead + sixteen + "0\r\n\r\n", limits: limits)
        #expect(summary(ok) == ["POST / HTTP/1.1", "body:0123456789abcdef", "end"])
        let over = ParserDriver.records(chunkedHead + sixteen + "1\r\nx\r\n0\r\n\r\n", limits: limits)
        #expect(summary(over) == ["POST / HTTP/1.1", "body:0123456789abcdef", "error:bodyTooLarge(limit: 16)"])
    }

    @Test func oneChunkOverTheLimitIsRefusedAtItsSize() {
        // 0x11 = 17: refused before any of its data is delivered.
        let records = ParserDriver.records(chunkedHead + "11\r\n", limits: limits)
        #expect(summary(records) == ["POST / HTTP/1.1", "error:bodyTooLarge(limit: 16)"])
        let atLimit = ParserDriver.records(chunkedHead + "10\r\n0123456789abcdef\r\n0\r\n\r\n", limits: limits)
        #expect(summary(atLimit).last == "end")
    }

    @Test func chunkLineAtTheLimitPassesAndOneMoreIs400() {
        let ok = ParserDriver.records(chunkedHead + "5;abcdef\r\nhello\r\n0\r\n\r\n", limits: limits)
        #expect(summary(ok) == ["POST / HTTP/1.1", "body:hello", "end"])
        let records = ParserDriver.records(chunkedHead + "5;abcdefg\r\nhello\r\n0\r\n\r\n", limits: limits)
        #expect(summary(records) == ["POST / HTTP/1.1", "error:chunkLineTooLong"])
        #expect(HTTP1ParseError.chunkLineTooLong.status.code == 400)
    }

    @Test
    func chunkSizeDigitsCountTowardsTheChunkLine() {
        let tight = HTTP1RequestParser.Limits(maxChunkLine: 2)
        #expect(ParserDriver.error(chunkedHead + "15;\r\n", limits: tight) == .chunkLineTooLong)
        #expect(ParserDriver.error(chunkedHead + "005\r\n", limits: tight) == .chunkLineTooLong)
    }

    @Test func trailersOverTheLimitAre431() {
        // Like the header section, the trailer section counts every byte, its final CRLF too.
        let ok = ParserDriver.records(chunkedHead + "0\r\n" + trailers(length: 62) + "\r\n", limits: limits)
        #expect(summary(ok) == ["POST / HTTP/1.1", "end"])
        let error = ParserDriver.error(chunkedHead + "0\r\n" + trailers(length: 63) + "\r\n", limits: limits)
        #expect(error == .trailersTooLarge)
        #expect(error?.status.code == 431)
        // Many short trailer lines add up.
        let many = String(repeating: "A: b\r\n", count: 12)
        #expect(ParserDriver.error(chunkedHead + "0\r\n" + many + "\r\n", limits: limits) == .trailersTooLarge)
    }

    @Test
    func trailersOneOverTheLimitAre431() {
        #expect(trailers(length: 65).utf8.count == 65)
        let error = ParserDriver.error(chunkedHead + "0\r\n" + trailers(length: 65) + "\r\n", limits: limits)
        #expect(error == .trailersTooLarge)
    }

    @Test
    func emptyLinesBeforeARequestDoNotPileUp() {
        var driver = ParserDriver(limits: limits)
        driver.feed(Array(String(repeating: "\r\n", count: 10_000).utf8))
        // Either the parser consumes them or it gives up; it must not keep 20 kB it will never use.
        #expect(driver.stopped || driver.pending.count <= limits.maxRequestLine + 2)
    }
}
