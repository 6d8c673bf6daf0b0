import TestSupport
import Testing

/// Clients that vanish in the middle of a request must not leak connections or hurt others.
@Suite("End to end: clients that disconnect mid-request")
struct ClientDisconnectTests {
    @Test(arguments: [
        ("half a head", "GET /healthz HTTP/1.1\r\nHo"),
        ("a head and half its body", "POST /debug/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabcde"),
        ("half a chunked body", "POST /debug/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
    ])
    func serverStaysHealthy(what: String, bytes: String) throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let metrics = try server.connect()
        let baseline = try metrics.metric("zkgate_http_connections_open")
        for abortive in [false, true] {
            let client = try server.connect()
            try client.send(bytes)
            #expect(try eventually(timeout: 2) { try metrics.metric("zkgate_http_connections_open") == baseline + 1 })
            if abortive { client.abort() } else { client.close() }
            var open = -1
            let back = try eventually(timeout: 2) {
                open = try metrics.metric("zkgate_http_connections_open")
                return open == baseline
            }
            #expect(back, "\(what), \(abortive ? "RST" : "FIN"): \(open) open, baseline \(baseline)")
        }
        #expect(try metrics.request("GET", "/healthz").bodyText == healthzBody)
        let fresh = try server.connect()
        #expect(try fresh.request("GET", "/healthz").bodyText == healthzBody)
        // No partial request reached a handler or was answered: only the probes are logged.
        let logged = server.stdout.lines.filter { !$0.contains("\"GET /metrics HTTP/1.1\" 200") && !$0.contains("\"GET /healthz HTTP/1.1\" 200") }
        #expect(logged.isEmpty, "unexpected access log lines: \(logged)")
    }
}
