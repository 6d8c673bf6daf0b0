import TestSupport
import Testing

/// Chunked streaming: framing on the wire, and the same lines through curl's decoder.
@Suite("End to end: streamed answers")
struct StreamingTests {
    static let lines = (0..<5).map { #"{"seq":\#($0)}"# + "\n" }

    @Test func chunkedNDJSONFraming() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.request("GET", "/debug/stream?count=5&interval_ms=10")
        #expect(response.status == 200)
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.header("Content-Length") == nil)
        #expect(response.header("Content-Type") == "application/x-ndjson")
        #expect(response.framing == .chunked)
        // Each line is its own 10-byte chunk ("a" in hex), then the last chunk.
        let expectedRaw = Self.lines.map { "a\r\n\($0)\r\n" }.joined() + "0\r\n\r\n"
        #expect(String(decoding: response.rawBody, as: UTF8.self) == expectedRaw)
        #expect(response.bodyText == Self.lines.joined())
        #expect(try client.request("GET", "/healthz").status == 200, "keep-alive after a stream")
    }

    @Test func headOfAStreamHasNoBody() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        let head = try client.request("HEAD", "/debug/stream?count=5&interval_ms=10")
        #expect(head.status == 200)
        #expect(head.header("Transfer-Encoding") == "chunked")
        #expect(try client.request("GET", "/healthz").bodyText == healthzBody, "no chunk bytes followed the HEAD answer")
    }

    @Test func emptyStream() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.request("GET", "/debug/stream?count=0")
        #expect(String(decoding: response.rawBody, as: UTF8.self) == "0\r\n\r\n")
    }

    @Test(.enabled(if: curlPath != nil, "needs curl"))
    func curlDecodesTheStream() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let result = try runCommand(curlPath!, [
            "-sS", "--max-time", "10", "http://127.0.0.1:\(server.port)/debug/stream?count=5&interval_ms=10",
        ])
        #expect(result.status == 0, "curl: \(result.stderr)")
        #expect(result.stdoutText == Self.lines.joined())
    }
}
