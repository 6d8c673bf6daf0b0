import HTTPCore
import Testing

private let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)

private func head(
    _ status: HTTPStatus = .ok, headers: HTTPHeaders = [:], framing: HTTP1ResponseSerializer.Framing,
    close: Bool = false, http10KeepAlive: Bool = false
) -> String {
    var out: [UInt8] = []
    HTTP1ResponseSerializer.writeHead(
        status: status, headers: headers, framing: framing, close: close, http10KeepAlive: http10KeepAlive,
        date: date, into: &out)
    return String(decoding: out, as: UTF8.self)
}

private func chunk(_ text: String) -> String {
    var out: [UInt8] = []
    Array(text.utf8).withUnsafeBytes { HTTP1ResponseSerializer.writeChunk($0, into: &out) }
    return String(decoding: out, as: UTF8.self)
}

@Suite("Response serializer")
struct HTTP1ResponseSerializerTests {
    @Test func fixedLengthHead() {
        #expect(head(headers: ["Content-Type": "application/json"], framing: .length(2)) == """
            HTTP/1.1 200 OK\r
            Date: Sun, 06 Nov 1994 08:49:37 GMT\r
            Content-Length: 2\r
            Content-Type: application/json\r
            \r

            """)
    }

    @Test func chunkedHeadChunksAndLastChunk() {
        var out: [UInt8] = []
        out += Array(head(.created, framing: .chunked).utf8)
        out += Array(chunk("hello").utf8)
        out += Array(chunk("").utf8)
        out += Array(chunk("0123456789abcdef").utf8)
        HTTP1ResponseSerializer.writeLastChunk(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == """
            HTTP/1.1 201 Created\r
            Date: Sun, 06 Nov 1994 08:49:37 GMT\r
            Transfer-Encoding: chunked\r
            \r
            5\r
            hello\r
            10\r
            0123456789abcdef\r
            0\r
            \r

            """)
    }

    @Test func emptyChunkWritesNothingBecauseItWouldEndTheBody() {
        #expect(chunk("") == "")
    }

    @Test func connectionClose() {
        #expect(head(.badRequest, framing: .length(0), close: true)
            == "HTTP/1.1 400 Bad Request\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    @Test func http10KeepAliveIsAnnouncedAndCloseWins() {
        #expect(head(framing: .length(1), http10KeepAlive: true)
            == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n")
        #expect(head(framing: .length(1), close: true, http10KeepAlive: true)
            == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 1\r\nConnection: close\r\n\r\n")
    }

    @Test func untilCloseHasNoFramingField() {
        #expect(head(framing: .untilClose, close: true)
            == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n")
    }

    @Test(arguments: [HTTPStatus.noContent, .notModified, .continue])
    func statusesWithoutBodyGetNoContentLength(status: HTTPStatus) {
        #expect(head(status, framing: .length(0))
            == "HTTP/1.1 \(status.code) \(status.reason)\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
    }

    @Test func emptyOKStillSaysContentLengthZero() {
        #expect(head(framing: .length(0)).contains("\r\nContent-Length: 0\r\n"))
    }

    @Test func serverOwnedHandlerFieldsAreDropped() {
        let headers = HTTPHeaders([
            (name: "content-length", value: "99"), (name: "X-A", value: "1"), (name: "DATE", value: "yesterday"),
            (name: "Connection", value: "upgrade"), (name: "Transfer-Encoding", value: "gzip"),
            (name: "X-A", value: "2"), (name: "Content-Type", value: "text/plain"),
        ])
        #expect(head(headers: headers, framing: .length(3)) == """
            HTTP/1.1 200 OK\r
            Date: Sun, 06 Nov 1994 08:49:37 GMT\r
            Content-Length: 3\r
            X-A: 1\r
            X-A: 2\r
            Content-Type: text/plain\r
            \r

            """)
    }

    @Test(arguments: [
        ("X-Split", "a\r\nSet-Cookie: evil=1"),
        ("X-Lf", "a\nb"),
        ("X-Cr", "a\rb"),
        ("X-Nul", "a\u{0}b"),
        ("X Space", "v"),
        ("X:Colon", "v"),
        ("X-Line\r\nInjected", "v"),
        ("", "v"),
    ])
    func unsafeHandlerFieldsAreDroppedSoNoResponseCanBeSplit(name: String, value: String) {
        let headers = HTTPHeaders([(name: "X-Before", value: "1"), (name: name, value: value), (name: "X-After", value: "2")])
        #expect(head(headers: headers, framing: .length(0))
            == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\nX-Before: 1\r\nX-After: 2\r\n\r\n")
    }

    @Test(arguments: [1, 9, 10, 15, 16, 255, 256, 4095, 4096, 65536, 1_000_000])
    func chunkSizesAreLowercaseHexAndDecodeBack(size: Int) {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 251) }
        var wire: [UInt8] = []
        data.withUnsafeBytes { HTTP1ResponseSerializer.writeChunk($0, into: &wire) }
        let prefix = String(size, radix: 16) + "\r\n"
        #expect(wire.starts(with: Array(prefix.utf8)))
        #expect(wire.count == prefix.utf8.count + size + 2)
        HTTP1ResponseSerializer.writeLastChunk(into: &wire)

        // Our own parser must read back exactly what the serializer framed.
        let request = Array("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + wire
        let records = ParserDriver.records([request], limits: .init(maxBody: 2_000_000))
        #expect(records.count == 3)
        #expect(records.dropFirst().first == .body(data))
        #expect(records.last == .end)
    }

    @Test(arguments: [0, 9, 10, 99, 100, 1_048_576, Int.max])
    func contentLengthIsDecimal(length: Int) {
        let text = head(framing: .length(length))
        let line = text.split(separator: "\r\n").first { $0.hasPrefix("Content-Length: ") }
        #expect(line == "Content-Length: \(length)")
        #expect(line.flatMap { Int($0.dropFirst(16)) } == length)
    }

    @Test func continueResponse() {
        #expect(HTTP1ResponseSerializer.continueResponse == Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
    }
}
