import TestSupport
import Testing

/// HTTP/1.0 clients: close by default, keep-alive only when asked.
@Suite("End to end: HTTP/1.0")
struct HTTP10Tests {
    @Test func closesByDefault() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        try client.send("GET /healthz HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == healthzBody)
        #expect(response.header("Connection") == "close")
        #expect(response.header("Content-Length") == "15")
        expectServerCloses(client)
    }

    @Test func keepAliveWhenAsked() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        for _ in 0..<3 {
            try client.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == healthzBody)
            #expect(response.header("Connection") == "keep-alive")
        }
        #expect(try client.readAvailable(timeout: 0.3).isEmpty)
        #expect(!client.peerHasClosed, "the server kept the connection open")
        // A 1.0 request without keep-alive on the same connection ends it.
        try client.send("GET /healthz HTTP/1.0\r\n\r\n")
        #expect(try client.readResponse().header("Connection") == "close")
        expectServerCloses(client)
    }

    /// A streamed answer to HTTP/1.0 cannot be chunked: it is delimited by the close.
    @Test func streamToHTTP10IsCloseDelimited() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send("GET /debug/stream?count=3&interval_ms=0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.framing == .untilClose)
        #expect(response.header("Transfer-Encoding") == nil)
        #expect(response.header("Connection") == "close")
        #expect(response.bodyText == "{\"seq\":0}\n{\"seq\":1}\n{\"seq\":2}\n")
    }
}
