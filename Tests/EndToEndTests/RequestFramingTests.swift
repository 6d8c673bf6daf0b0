import TestSupport
import Testing

/// Request shapes that are valid but less common, each answered normally on a connection
/// that stays usable.
@Suite("End to end: request framing")
struct RequestFramingTests {
    @Test func chunkedWithExtensionsAndTrailers() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send("POST /debug/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: 1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == "hello world")
        #expect(try client.request("GET", "/healthz").status == 200)
    }

    @Test func absoluteFormTarget() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        try client.send("GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == healthzBody)
    }

    /// RFC 9112 §2.2: empty lines before a request line are ignored.
    @Test func leadingEmptyLinesAreIgnored() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        try client.send("\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func bodyOnAGetIsReadAndIgnored() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.request("GET", "/healthz", body: Array("ignored".utf8))
        #expect(response.bodyText == healthzBody)
        #expect(try client.request("GET", "/healthz").bodyText == healthzBody, "the body was not taken as a request")
    }

    @Test func headOfAProblemHasLengthButNoBody() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let head = try client.request("HEAD", "/nope")
        #expect(head.status == 404)
        #expect(head.header("Content-Type") == "application/problem+json")
        #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 0)
        let get = try client.request("GET", "/nope")
        #expect(get.header("Content-Length") == head.header("Content-Length"), "HEAD announces what GET sends")
    }

    /// Split anywhere, a request is still one request.
    @Test func requestSentByteByByte() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        for byte in HTTPRequestBytes.make("POST", "/debug/echo", body: Array("split".utf8)) { try client.send([byte]) }
        let response = try client.readResponse()
        #expect(response.bodyText == "split")
    }
}
