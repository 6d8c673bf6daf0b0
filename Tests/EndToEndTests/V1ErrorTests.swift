import Foundation
import TestSupport
import Testing

/// Refusals of the /v1 API that need the process: the `--max-body` flag with the store's data
/// limit, and what refusals do to the connection and /metrics. What a route refuses is in
/// GatewayAPITests/ErrorRouteTests.
@Suite("End to end: /v1 errors")
struct V1ErrorTests {
    /// Data over 1,000,000 bytes is refused by the store (the HTTP limit raised to let it in).
    @Test func dataOverTheLimitIs413() throws {
        let server = try V1Server(["--max-body", "4000000"])
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/big", "small").status == 201)
        let before = try client.treeSnapshot()
        let over = [UInt8](repeating: 0xAB, count: 1_000_001)
        let raw = try client.putRaw("/big", over)
        expectProblem(raw, status: 413, type: "data-too-large")
        let base64 = try client.put("/big", json: ["data": Data(over).base64EncodedString(), "encoding": "base64"])
        expectProblem(base64, status: 413, type: "data-too-large")
        expectProblem(try client.request("POST", "/v1/nodes/big2", headers: [("Content-Type", "application/octet-stream")],
            body: over), status: 413, type: "data-too-large")
        let text = try client.put("/big", json: ["data": String(repeating: "é", count: 500_001)])
        expectProblem(text, status: 413, type: "data-too-large")
        #expect(try client.treeSnapshot() == before)
        // Exactly the limit is fine.
        let limit = [UInt8](repeating: 0xCD, count: 1_000_000)
        #expect(try client.putRaw("/big", limit).status == 200)
        #expect(try client.get("/big", headers: [("Accept", "application/octet-stream")]).body == limit)
        // Over --max-body, the HTTP layer refuses first.
        let huge = try client.putRaw("/big", [UInt8](repeating: 1, count: 4_000_001))
        #expect(huge.status == 413)
    }

    /// Refusals count as client errors in /metrics and never close the connection.
    @Test func errorsKeepTheConnectionAndAreCounted() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let before = try client.metric("zkgate_http_client_errors_total")
        expectProblem(try client.get("/missing"), status: 404, type: "no-node")
        expectProblem(try client.request("GET", "/v1/nodes/a//b"), status: 400, type: "invalid-path")
        expectInvalidParameter(try client.put("/x", json: ["nope": 1]), field: "nope")
        #expect(try client.metric("zkgate_http_client_errors_total") == before + 3)
        #expect(try client.metric("zkgate_http_server_errors_total") == 0)
        #expect(try client.metric("zkgate_http_connections_accepted_total") == 1, "one connection throughout")
    }
}
