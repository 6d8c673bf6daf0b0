import Coordination
import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Testing

@Suite struct RouteTableTests {
    /// `{name...}` tails and `{name}` segments as `{}`, and an empty tail (`/v1/nodes/`) as one.
    static func canonical(_ template: String) -> String {
        var segments = template.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") ? "{}" : String(segment)
        }
        if segments.last == "" && segments.count > 2 { segments[segments.count - 1] = "{}" }
        return segments.joined(separator: "/")
    }

    /// The (method, path) pairs of the OpenAPI document, read by indentation.
    static func documented() -> Set<String> {
        var pairs = Set<String>()
        var path: String?
        for line in Gateway.openAPIDocument.split(separator: "\n") {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("  "), !line.hasPrefix("   ") {
                path = nil
            } else if let current = path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
                if ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"].contains(method) {
                    pairs.insert("\(method) \(canonical(current))")
                }
            } else if !line.hasPrefix(" ") {
                path = nil
            }
        }
        return pairs
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        let harness = try await RouteHarness(options: Gateway.Options(debugRoutes: true))
        let served = Set(harness.gateway.routes().map { "\($0.method.rawValue) \(Self.canonical($0.template))" })
        await harness.shutdown()
        let documented = Self.documented()
        #expect(documented.count > 20, "the document was read")
        #expect(served.subtracting(documented).sorted() == [], "served but not in openapi/openapi.yaml")
        // The server answers HEAD wherever there is a GET, and OPTIONS (204 with Allow) on every
        // path with a route.
        let servedPaths = Set(served.map { $0.split(separator: " ")[1] })
        let implied = Set(served.filter { $0.hasPrefix("GET ") }.map { "HEAD " + $0.dropFirst(4) })
            .union(servedPaths.map { "OPTIONS \($0)" })
        #expect(documented.subtracting(served).subtracting(implied).sorted() == [], "documented but not served")
    }

    @Test func theTableHasOneRowPerMethodAndTemplate() async throws {
        let harness = try await RouteHarness(options: Gateway.Options(debugRoutes: true))
        let routes = harness.gateway.routes()
        await harness.shutdown()
        let keys = routes.map { "\($0.method.rawValue) \($0.template)" }
        #expect(Set(keys).count == keys.count)
    }

    /// The operation class of every route: what an access check will decide on.
    @Test func operationClasses() async throws {
        let harness = try await RouteHarness(options: Gateway.Options(debugRoutes: true))
        let table = Dictionary(uniqueKeysWithValues: harness.gateway.routes().map { ("\($0.method.rawValue) \($0.template)", $0.operation) })
        await harness.shutdown()
        let expected: [String: OperationClass] = [
            "GET /healthz": .operations, "GET /readyz": .operations, "GET /metrics": .operations,
            "GET /openapi.yaml": .operations,
            "GET /v1/nodes/{path...}": .read, "PUT /v1/nodes/{path...}": .write, "POST /v1/nodes/{path...}": .write,
            "DELETE /v1/nodes/{path...}": .write, "POST /v1/txn": .write, "GET /v1/watch/{path...}": .read,
            "POST /v1/sessions": .session, "PUT /v1/sessions/{id}": .session, "GET /v1/sessions/{id}": .session,
            "DELETE /v1/sessions/{id}": .session,
            "POST /v1/locks/{path...}": .lock, "GET /v1/locks/{path...}": .read, "DELETE /v1/locks/{path...}": .lock,
            "POST /v1/elections/{path...}": .elect, "GET /v1/elections/{path...}": .read,
            "DELETE /v1/elections/{path...}": .elect,
            "GET /v1/services": .read, "GET /v1/services/{service}": .read,
            "PUT /v1/services/{service}/{instance}": .register, "GET /v1/services/{service}/{instance}": .read,
            "DELETE /v1/services/{service}/{instance}": .register,
            "GET /v1/config/{path...}": .read,
            "POST /debug/echo": .admin, "PUT /debug/echo": .admin, "GET /debug/defer": .admin, "GET /debug/stream": .admin,
        ]
        #expect(table == expected)
    }

    /// The znodes each kind of route touches, as the router's parameters give them.
    @Test(arguments: [
        ("GET", "/v1/nodes/", nil as String?, ["/"]),
        ("GET", "/v1/nodes/app/config", nil, ["/app/config"]),
        ("DELETE", "/v1/nodes/a%20b/c", nil, ["/a b/c"]),
        // A create may name a sequential prefix, which no other request may.
        ("POST", "/v1/nodes/queue/", nil, ["/queue/"]),
        ("POST", "/v1/nodes/a/..", nil, ["/a/.."]),
        ("GET", "/v1/watch/app", nil, ["/app"]),
        ("POST", "/v1/locks/jobs/nightly", nil, ["<base>/locks/jobs/nightly"]),
        ("GET", "/v1/elections/e1", nil, ["<base>/elections/e1"]),
        ("GET", "/v1/services", nil, ["<base>/services"]),
        ("GET", "/v1/services/web", nil, ["<base>/services/web"]),
        ("PUT", "/v1/services/web/i-1", nil, ["<base>/services/web/i-1"]),
        ("GET", "/v1/config/", nil, ["<base>/config"]),
        ("GET", "/v1/config/eu/berlin", nil, ["<base>/config/eu/berlin"]),
        ("GET", "/v1/sessions/00000000000000ff", nil, []),
        ("POST", "/v1/sessions", nil, []),
        ("GET", "/healthz", nil, []),
        ("POST", "/v1/txn", #"{"ops":[{"op":"create","path":"/t/a","data":"x"},{"op":"delete","path":"/t/b"}]}"#, ["/t/a", "/t/b"]),
    ])
    func pathsOfARequest(method: String, target: String, body: String?, expected: [String]) async throws {
        let harness = try await RouteHarness()
        let routes = harness.gateway.routes()
        let router = harness.router
        let base = harness.base
        await harness.shutdown()
        let head = HTTPRequestHead(method: HTTPMethod(rawValue: method), target: target)
        guard case .found(_, let parameters) = router.match(method: head.method, path: head.path) else {
            Issue.record("no route for \(method) \(target)")
            return
        }
        let route = try #require(routes.first { route in
            guard route.method == head.method else { return false }
            if case .found = Self.tableRouter([route]).match(method: head.method, path: head.path) { return true }
            return false
        })
        let request = HTTPRequest(head: head, body: Array((body ?? "").utf8), pathParameters: parameters)
        let paths = try route.paths(of: request).map(\.string)
        #expect(paths == expected.map { $0.replacingOccurrences(of: "<base>", with: base) })
    }

    /// A path that does not normalize to a valid znode path is refused, not reinterpreted.
    @Test(arguments: ["/v1/nodes/a/../b", "/v1/nodes/a/./b", "/v1/nodes/a//b", "/v1/locks/x/..", "/v1/services/s/.."])
    func invalidPathsThrow(target: String) async throws {
        let harness = try await RouteHarness()
        let routes = harness.gateway.routes()
        await harness.shutdown()
        let head = HTTPRequestHead(method: .get, target: target)
        let matching = routes.filter { route in
            if case .found = Self.tableRouter([route]).match(method: .get, path: head.path) { return true }
            return false
        }
        let route = try #require(matching.first)
        guard case .found(_, let parameters) = Self.tableRouter([route]).match(method: .get, path: head.path) else {
            Issue.record("\(target) matched the table but not its own route")
            return
        }
        #expect(throws: (any Error).self) { try route.paths(of: HTTPRequest(head: head, pathParameters: parameters)) }
    }

    static func tableRouter(_ routes: [Route]) -> Router {
        var router = Router()
        for route in routes { router.add(route.method, route.template) { _, _ in .response(HTTPResponse()) } }
        return router
    }
}
