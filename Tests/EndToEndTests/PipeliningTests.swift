import TestSupport
import Testing

/// Requests sent back to back before any answer are answered in order, even when the first
/// one is answered later than the others could be.
@Suite("End to end: pipelining")
struct PipeliningTests {
    @Test func threeRequestsInOneWriteAnswerInOrder() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        let body = Array("pipelined body".utf8)
        let bytes = HTTPRequestBytes.make("GET", "/debug/defer?ms=50")
            + HTTPRequestBytes.make("GET", "/healthz")
            + HTTPRequestBytes.make("POST", "/debug/echo", headers: [("Content-Type", "text/plain")], body: body)
        let start = monotonicSeconds()
        try client.send(bytes)
        let first = try client.readResponse()
        let elapsed = monotonicSeconds() - start
        let second = try client.readResponse()
        let third = try client.readResponse()
        #expect(first.status == 200)
        #expect(first.bodyText == #"{"waitedMs":50,"from":"thread"}"#)
        #expect(elapsed >= 0.05, "the deferred answer came after \(elapsed) s")
        #expect(second.status == 200)
        #expect(second.bodyText == healthzBody)
        #expect(third.status == 200)
        #expect(third.body == body)
        // The echo route answers octet-stream whatever the request said.
        #expect(third.header("Content-Type") == "application/octet-stream")
        #expect(client.unread.isEmpty)
        #expect(try client.request("GET", "/healthz").status == 200, "the connection is still usable")
    }

    /// More pipelined bytes than the server buffers while busy (64 KiB) pause reading; they
    /// must all be served once the parked request is answered.
    @Test func largePipelinedBodyBehindAParkedRequest() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try client.send(HTTPRequestBytes.make("GET", "/debug/defer?ms=200&from=loop")
            + HTTPRequestBytes.make("PUT", "/debug/echo", body: body)
            + HTTPRequestBytes.make("GET", "/healthz"))
        let first = try client.readResponse()
        #expect(first.bodyText == #"{"waitedMs":200,"from":"loop"}"#)
        let echo = try client.readResponse()
        #expect(echo.status == 200)
        #expect(echo.body == body)
        #expect(try client.readResponse().bodyText == healthzBody)
    }

    /// A streamed answer also holds back the requests behind it until its last chunk.
    @Test func requestBehindAStream() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send(HTTPRequestBytes.make("GET", "/debug/stream?count=3&interval_ms=20")
            + HTTPRequestBytes.make("GET", "/healthz"))
        let stream = try client.readResponse()
        #expect(stream.framing == .chunked)
        #expect(stream.bodyText == "{\"seq\":0}\n{\"seq\":1}\n{\"seq\":2}\n")
        #expect(try client.readResponse().bodyText == healthzBody)
    }
}
