import TestSupport
import Testing

/// Clients that do not read what the server sends.
@Suite("End to end: slow readers and lingering close")
struct SlowClientTests {
    /// A client that never reads a large answer is dropped after --write-timeout, and its
    /// connection is released.
    @Test func nonReadingClientIsDroppedAfterWriteTimeout() throws {
        let server = try ZKGateProcess(["--debug-routes", "--write-timeout", "1", "--max-body", "16777216"])
        defer { server.stop() }
        let metrics = try server.connect()
        let baseline = try metrics.metric("zkgate_http_connections_open")
        let client = try RawHTTPClient(port: server.port, timeout: 20, receiveBuffer: 4096)
        // Far more than the socket buffers hold, so the answer cannot all be written.
        let body = [UInt8](repeating: 0x61, count: 12 << 20)
        try client.send(HTTPRequestBytes.make("POST", "/debug/echo", body: body))
        let sent = monotonicSeconds()
        var open = -1
        let dropped = try eventually(timeout: 6) {
            open = try metrics.metric("zkgate_http_connections_open")
            return open == baseline
        }
        let elapsed = monotonicSeconds() - sent
        #expect(dropped, "\(open) connections open after \(elapsed) s, baseline \(baseline)")
        #expect(elapsed >= 0.9, "dropped after \(elapsed) s, before the write timeout")
        #expect(try metrics.request("GET", "/healthz").status == 200)
    }

    /// After an error answer the server drains what the client still sends, so the client
    /// reads the whole answer instead of a connection reset.
    @Test func errorAnswerSurvivesUnreadRequestBytes() throws {
        let server = try ZKGateProcess(["--debug-routes", "--max-body", "100"])
        defer { server.stop() }
        let client = try server.connect()
        let body = [UInt8](repeating: 0x62, count: 300_000)
        try client.send(HTTPRequestBytes.make("POST", "/debug/echo", body: body))
        let response = try client.readResponse()
        expectProblem(response, status: 413, type: "body-too-large")
        #expect(response.header("Connection") == "close")
        expectServerCloses(client)
    }
}
