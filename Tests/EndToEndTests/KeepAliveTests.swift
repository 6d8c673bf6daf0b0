import TestSupport
import Testing

/// Persistent connections: many requests per connection, many connections at once.
@Suite("End to end: keep-alive")
struct KeepAliveTests {
    @Test func sixteenClientsTwoHundredRequestsEach() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        // Metrics through one long-lived connection, so it counts itself once in both reads.
        let metrics = try server.connect()
        let before = try metrics.metrics()
        let port = server.port
        let results = runOnThreads(count: 16) { _ -> Int in
            let client = try RawHTTPClient(port: port)
            var ok = 0
            for _ in 0..<200 {
                let response = try client.request("GET", "/healthz")
                if response.status == 200 && response.bodyText == healthzBody && !response.saysClose { ok += 1 }
            }
            return ok
        }
        for (i, result) in results.enumerated() {
            switch result {
            case .success(let ok): #expect(ok == 200, "client \(i): \(ok) of 200 answers were right")
            case .failure(let error): Issue.record("client \(i) failed: \(error)")
            }
        }
        let after = try metrics.metrics()
        let accepted = "zkgate_http_connections_accepted_total"
        #expect(after[accepted]! - before[accepted]! == 16, "one connection per client")
        let requests = "zkgate_http_requests_total"
        #expect(after[requests]! - before[requests]! == 16 * 200 + 1, "3200 plus the first /metrics")
    }

    @Test func connectionCloseFromClientIsHonoured() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.request("GET", "/healthz", headers: [("Connection", "close")])
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        expectServerCloses(client)
    }

    @Test func connectionGaugeCountsOpenConnections() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let metrics = try server.connect()
        let base = try metrics.metric("zkgate_http_connections_open")
        #expect(base == 1)
        let others = try (0..<5).map { _ in try server.connect() }
        for client in others { #expect(try client.request("GET", "/healthz").status == 200) }
        #expect(try metrics.metric("zkgate_http_connections_open") == base + 5)
        others.forEach { $0.close() }
        #expect(try eventually(timeout: 2) { try metrics.metric("zkgate_http_connections_open") == base })
    }

    /// After a request with `Connection: close`, pipelined requests behind it are not served.
    @Test func nothingIsServedAfterConnectionClose() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        try client.send(HTTPRequestBytes.make("GET", "/healthz", headers: [("Connection", "close")])
            + HTTPRequestBytes.make("GET", "/readyz"))
        let response = try client.readResponse()
        #expect(response.bodyText == healthzBody)
        #expect(response.saysClose)
        expectServerCloses(client)
    }

    @Test func twoThousandPipelinedRequestsInOrder() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        var bytes: [UInt8] = []
        for i in 0..<2000 { bytes += HTTPRequestBytes.make("GET", i % 2 == 0 ? "/healthz" : "/readyz") }
        try client.send(bytes)
        var wrong: [Int] = []
        for i in 0..<2000 {
            let expected = i % 2 == 0 ? healthzBody : #"{"status":"ready"}"#
            if try client.readResponse().bodyText != expected { wrong.append(i) }
        }
        #expect(wrong.isEmpty, "answers out of order at \(wrong.prefix(10))")
    }
}
