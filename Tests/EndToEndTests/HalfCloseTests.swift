import TestSupport
import Testing

/// Clients that half-close (shutdown(SHUT_WR)) after sending their request, as `nc -N` and
/// some HTTP/1.0 tools do: they can still read, so an answer already written must arrive.
@Suite("End to end: half-closing clients")
struct HalfCloseTests {
    @Test func smallAnswerArrivesAfterHalfClose() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send(HTTPRequestBytes.make("POST", "/debug/echo", body: Array("half".utf8)))
        client.shutdownWrite()
        #expect(try client.readResponse().bodyText == "half")
        expectServerCloses(client)
    }

    /// The answer is complete and queued when the client's FIN arrives; closing at once
    /// discards the rest, so the client sees a body shorter than its Content-Length.
    @Test
    func queuedAnswerIsNotTruncatedByHalfClose() throws {
        let server = try ZKGateProcess(["--debug-routes", "--max-body", "8388608"])
        defer { server.stop() }
        // A small receive buffer, so most of the answer has to wait in the server's queue.
        let client = try RawHTTPClient(port: server.port, timeout: 10, receiveBuffer: 8192)
        let body = [UInt8](repeating: 0x63, count: 4_000_000)
        try client.send(HTTPRequestBytes.make("POST", "/debug/echo", body: body))
        client.shutdownWrite()
        let response = try client.readResponse(method: "POST")
        #expect(response.status == 200)
        #expect(response.body.count == body.count)
    }
}
