import TestSupport
import Testing

/// Answers that come later, from another thread or a loop timer, and parked requests whose
/// client leaves first.
@Suite("End to end: deferred answers")
struct DeferredResponseTests {
    @Test(arguments: ["thread", "loop"])
    func answersAfterTheDelay(from: String) throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        let start = monotonicSeconds()
        let response = try client.request("GET", "/debug/defer?ms=100&from=\(from)")
        let elapsed = monotonicSeconds() - start
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyText == #"{"waitedMs":100,"from":"\#(from)"}"#)
        #expect(elapsed >= 0.1, "answered after \(elapsed) s")
        #expect(elapsed < 2, "answered after \(elapsed) s")
        #expect(try client.request("GET", "/healthz").status == 200, "keep-alive after a deferred answer")
    }

    @Test func invalidParametersAre400() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        expectProblem(try client.request("GET", "/debug/defer?ms=abc"), status: 400, type: "invalid-parameter")
        expectProblem(try client.request("GET", "/debug/defer?ms=10&from=mars"), status: 400, type: "invalid-parameter")
    }

    @Test func disconnectCancelsAParkedRequest() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let metrics = try server.connect()
        let abandonedBefore = try metrics.metric("zkgate_http_parked_abandoned_total")
        let client = try server.connect()
        try client.send(HTTPRequestBytes.make("GET", "/debug/defer?ms=5000"))
        #expect(try eventually(timeout: 2) { try metrics.metric("zkgate_http_parked_requests") == 1 })
        client.close()
        let start = monotonicSeconds()
        var last: [String: Int] = [:]
        let settled = try eventually(timeout: 1) {
            last = try metrics.metrics()
            // All three together: the metrics connection may be on another loop and read the
            // counters between the request's abandonment and its connection's close.
            return last["zkgate_http_parked_requests"] == 0
                && last["zkgate_http_parked_abandoned_total"] == abandonedBefore + 1
                && last["zkgate_http_connections_open"] == 1
        }
        #expect(settled, "after \(monotonicSeconds() - start) s: \(last)")
        #expect(try metrics.request("GET", "/healthz").status == 200)
    }

    @Test func answeredRequestIsNotCountedAbandoned() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.request("GET", "/debug/defer?ms=10").status == 200)
        client.close()
        let metrics = try server.connect()
        #expect(try metrics.metric("zkgate_http_parked_abandoned_total") == 0)
        #expect(try metrics.metric("zkgate_http_parked_requests") == 0)
    }
}
