import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Testing

/// What the server answers a path no route takes: 404 not-found, and 400 bad-path when a
/// segment cannot be decoded. (The answers' framing on a socket is in BasicRoutesTests.)
@Suite struct RoutingProblemRouteTests {
    @Test func unknownPathIs404() async throws {
        let harness = try await RouteHarness()
        let response = await harness.request(.get, "/nope")
        expectProblem(response, status: 404, type: "not-found")
        #expect(response.json["title"] as? String == "Not Found")
        #expect(await harness.request(.get, "/healthz/").status.code == 404, "no trailing-slash leniency")
        await harness.shutdown()
    }

    @Test func badPathIs400() async throws {
        let harness = try await RouteHarness()
        // Only a segment the router has to decode can be refused: /v1/%zz is 404 (no /v1 routes).
        expectProblem(await harness.request(.get, "/%zz"), status: 400, type: "bad-path")
        expectProblem(await harness.request(.get, "/a%2Fb"), status: 400, type: "bad-path")
        expectProblem(await harness.request(.get, "/healthz%00"), status: 400, type: "bad-path")
        await harness.shutdown()
    }
}
