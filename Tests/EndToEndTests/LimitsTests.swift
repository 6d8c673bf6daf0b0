import TestSupport
import Testing

/// Size limits and refused framings: each is answered with its own status and problem type,
/// `Connection: close`, and then a clean close (FIN after the answer, never a reset).
@Suite("End to end: limits and refused framing")
struct LimitsTests {
    /// Small limits so the tests send little: 64-byte request line, 256-byte header section
    /// (the smallest the flags allow), 100-byte body.
    static let limitFlags = ["--max-request-line", "64", "--max-header-bytes", "256", "--max-body", "100", "--debug-routes"]

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var request: String
        var status: Int
        var type: String
        var testDescription: String { name }
    }

    static let refused: [Case] = [
        // "GET /" + 51 x's + " HTTP/1.1" is 65 bytes.
        Case(name: "request line over the limit", request: "GET /\(String(repeating: "x", count: 51)) HTTP/1.1\r\nHost: x\r\n\r\n",
             status: 414, type: "request-line-too-long"),
        // Host (9) + X-Fill line (10 + 236) + blank line (2) = 257 bytes.
        Case(name: "header section over the limit",
             request: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fill: \(String(repeating: "f", count: 236))\r\n\r\n",
             status: 431, type: "header-fields-too-large"),
        Case(name: "Content-Length over the limit", request: "POST /debug/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n",
             status: 413, type: "body-too-large"),
        Case(name: "chunked body over the limit",
             request: "POST /debug/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3c\r\n\(String(repeating: "a", count: 60))\r\n3c\r\n\(String(repeating: "b", count: 60))\r\n0\r\n\r\n",
             status: 413, type: "body-too-large"),
        Case(name: "HTTP/2.0 request line", request: "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n",
             status: 505, type: "http-version-not-supported"),
        Case(name: "Transfer-Encoding gzip", request: "POST /debug/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
             status: 501, type: "unsupported-transfer-coding"),
        Case(name: "Content-Length with Transfer-Encoding",
             request: "POST /debug/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
             status: 400, type: "ambiguous-framing"),
        Case(name: "duplicate Content-Length",
             request: "POST /debug/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
             status: 400, type: "ambiguous-framing"),
        Case(name: "obs-fold", request: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n",
             status: 400, type: "ambiguous-framing"),
        Case(name: "Transfer-Encoding in HTTP/1.0",
             request: "POST /debug/echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
             status: 400, type: "ambiguous-framing"),
        Case(name: "missing Host", request: "GET /healthz HTTP/1.1\r\n\r\n", status: 400, type: "malformed-request"),
        Case(name: "Host with a space", request: "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400, type: "bad-host"),
        Case(name: "Host with userinfo", request: "GET /healthz HTTP/1.1\r\nHost: u@h\r\n\r\n", status: 400, type: "bad-host"),
        Case(name: "bare LF", request: "GET /healthz HTTP/1.1\nHost: x\n\n", status: 400, type: "malformed-request"),
        Case(name: "unknown expectation", request: "POST /debug/echo HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx",
             status: 417, type: "expectation-failed"),
    ]

    @Test(arguments: refused)
    func refusedWithProblemAndClose(_ c: Case) throws {
        let server = try ZKGateProcess(Self.limitFlags)
        defer { server.stop() }
        let client = try server.connect()
        try client.send(c.request)
        let response = try client.readResponse()
        expectProblem(response, status: c.status, type: c.type)
        #expect(response.header("Connection") == "close")
        expectServerCloses(client)
        // The refusal is per connection: the server still answers others.
        #expect(try server.connect().request("GET", "/healthz").status == 200)
    }

    @Test func requestsExactlyAtTheLimitsAreServed() throws {
        let server = try ZKGateProcess(Self.limitFlags)
        defer { server.stop() }
        let client = try server.connect()
        // A 64-byte request line: routed (404), not refused.
        let longLine = try client.request("GET", "/\(String(repeating: "x", count: 50))")
        #expect(longLine.status == 404)
        // A 256-byte header section.
        try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fill: \(String(repeating: "f", count: 235))\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        // A 100-byte body, by length and chunked (60 + 40).
        let body = (0..<100).map { UInt8(0x41 + $0 % 26) }
        #expect(try client.request("POST", "/debug/echo", body: body).body == body)
        try client.send("POST /debug/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3c\r\n")
        try client.send(Array(body[0..<60]) + Array("\r\n28\r\n".utf8) + Array(body[60...]) + Array("\r\n0\r\n\r\n".utf8))
        let chunked = try client.readResponse()
        #expect(chunked.status == 200)
        #expect(chunked.body == body)
        #expect(!chunked.saysClose)
    }

    /// With `Expect: 100-continue`, a body over the limit is refused before the client sends
    /// it: the first answer is the 413, never a `100 Continue`.
    @Test func oversizedBodyWithExpectContinueGets413Only() throws {
        let server = try ZKGateProcess(Self.limitFlags)
        defer { server.stop() }
        let client = try server.connect()
        try client.send("POST /debug/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n")
        let response = try client.readResponse()
        expectProblem(response, status: 413, type: "body-too-large")
        #expect(response.header("Connection") == "close")
        expectServerCloses(client)
    }
}
