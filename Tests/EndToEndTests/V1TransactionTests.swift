import Foundation
import TestSupport
import Testing

/// POST /v1/txn where the process matters: data over the store's limit needs `--max-body`
/// raised to get in. What the route answers is in GatewayAPITests/TransactionRouteTests.
@Suite("End to end: /v1 transactions")
struct V1TransactionTests {
    @Test func dataTooLargeInATransaction() throws {
        let server = try V1Server(["--max-body", "4000000"])
        defer { server.stop() }
        let client = try server.connect()
        let big = Data(repeating: 7, count: 1_000_001).base64EncodedString()
        let response = try client.txn(["ops": [
            ["op": "create", "path": "/small", "data": "x"],
            ["op": "create", "path": "/big", "data": big, "encoding": "base64"],
        ]])
        expectProblem(response, status: 413, type: "data-too-large")
        #expect(intValue(response.object["failedOp"]) == 1)
        #expect(response.object["reason"] as? String == "data-too-large")
        expectProblem(try client.get("/small"), status: 404, type: "no-node")
    }
}
