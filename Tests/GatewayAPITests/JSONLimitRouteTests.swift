import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// JSON bodies over the parser's limits: every route that takes JSON answers 413
/// `json-too-complex` naming the limit and its value, and changes nothing.
@Suite struct JSONLimitRouteTests {
    /// Every route that parses a JSON body, with the path it is called on.
    static let routes: [(HTTPMethod, String)] = [
        (.put, "/v1/nodes/route-json-limits/a"),
        (.post, "/v1/nodes/route-json-limits/b"),
        (.put, "/v1/nodes/"),
        (.post, "/v1/txn"),
        (.post, "/v1/sessions"),
        (.post, "/v1/locks/route-json-limits"),
        (.post, "/v1/elections/route-json-limits"),
        (.put, "/v1/services/route-json-limits/i1"),
    ]

    /// An object of `count` members `"k0":0, "k1":0, ...`.
    static func object(members count: Int) -> String {
        "{" + (0..<count).map { "\"k\($0)\":0" }.joined(separator: ",") + "}"
    }

    /// Bodies just over each default limit, with the limit's name and value.
    static let overLimits: [(body: String, limit: String, max: Int)] = [
        (object(members: 10_001), "maxMembers", 10_000),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "maxDepth", 64),
        // The array and its 100,000 elements are 100,001 values.
        ("[" + Array(repeating: "0", count: 100_000).joined(separator: ",") + "]", "maxElements", 100_000),
        ("\"" + String(repeating: "a", count: 4 << 20 + 1) + "\"", "maxStringBytes", 4 << 20),
    ]

    @Test func bodiesOverALimitAre413NamingIt() async throws {
        let harness = try await RouteHarness()
        let before = await harness.treeSnapshot("/")
        for (method, target) in Self.routes {
            for (body, limit, max) in Self.overLimits {
                let response = await harness.request(method, target, body: Array(body.utf8),
                    headers: ["Content-Type": "application/json"])
                expectProblem(response, status: 413, type: "json-too-complex")
                #expect(response.json["limit"] as? String == limit, "\(method) \(target): \(response.text)")
                #expect(intValue(response.json["max"]) == max, "\(method) \(target): \(response.text)")
                #expect(response.field == "body", "\(method) \(target): \(response.text)")
                let detail = response.json["detail"] as? String ?? ""
                #expect(detail.contains(limit) && detail.contains(String(max)), "\(detail)")
            }
            // Broken JSON stays a 400 naming the body.
            let broken = await harness.request(method, target, body: Array("{\"a\":1,}".utf8),
                headers: ["Content-Type": "application/json"])
            expectInvalidParameter(broken, field: "body")
        }
        #expect(await harness.treeSnapshot("/") == before)
        await harness.shutdown()
    }

    /// Exactly at the limits the body is parsed, and refused only for what it says.
    @Test func bodiesAtTheLimitsAreRead() async throws {
        let harness = try await RouteHarness()
        let members = await harness.request(.put, "/v1/nodes/route-json-limits", body: Array(Self.object(members: 10_000).utf8),
            headers: ["Content-Type": "application/json"])
        expectInvalidParameter(members, field: "k0")
        let deep = "{\"data\":\"x\",\"mode\":" + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}"
        expectInvalidParameter(await harness.request(.put, "/v1/nodes/route-json-limits", body: Array(deep.utf8),
            headers: ["Content-Type": "application/json"]), field: "mode")
        await harness.shutdown()
    }
}
