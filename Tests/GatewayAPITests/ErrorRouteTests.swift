import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// Every refusal of the /v1 node routes: status, problem type, the field named, and nothing
/// changed. The coordination layer's errors on both backends.
@Suite struct ErrorRouteTests {
    static let backends = RouteHarness.Backend.available

    /// Paths that are not znode paths, as sent on the wire (no client normalisation).
    static let badPaths: [(String, String)] = [
        ("/v1/nodes/a/../b", "invalid-path"),
        ("/v1/nodes/a/..", "invalid-path"),
        ("/v1/nodes/a/./b", "invalid-path"),
        ("/v1/nodes/a/%2E%2E/b", "invalid-path"),
        ("/v1/nodes/a//b", "invalid-path"),
        ("/v1/nodes//a", "invalid-path"),
        ("/v1/nodes/a/", "invalid-path"),
        ("/v1/nodes/a/b/", "invalid-path"),
        ("/v1/nodes/a%00b", "bad-path"),
        ("/v1/nodes/a/%00", "bad-path"),
        ("/v1/nodes/a%2Fb", "bad-path"),
        ("/v1/nodes/a%zz", "bad-path"),
        ("/v1/nodes/a%01b", "invalid-path"),
        ("/v1/nodes/a%7Fb", "invalid-path"),
    ]

    /// Problem bodies are JSON even when the path has characters JSON must escape.
    @Test(arguments: backends)
    func missingNodeWithQuoteAndBackslashIsValidJSON(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let response = await harness.request(.get, harness.nodes("/a%22b%5Cc"))
        expectProblem(response, status: 404, type: "no-node")
        #expect(response.json["path"] as? String == harness.base + "/a\"b\\c", "\(response.text)")
        #expect(response.headers["Zkgate-Index"] != nil)
        await harness.shutdown()
    }

    /// The paths are refused before any backend sees them: the embedded store, whose whole
    /// tree is compared.
    @Test func badPathsAre400ForEveryMethodAndChangeNothing() async throws {
        let harness = try await RouteHarness()
        #expect(await harness.request(.put, "/v1/nodes/a/b?parents=true", object: ["data": "keep"]).status.code == 201)
        let before = await harness.treeSnapshot("/")
        for (target, slug) in Self.badPaths {
            let requests: [(HTTPMethod, HTTPHeaders, [UInt8])] = [
                (.get, [:], []),
                (.put, ["Content-Type": "application/json"], jsonBytes(["data": "x"])),
                (.put, ["Content-Type": "application/octet-stream"], [1, 2, 3]),
                (.post, ["Content-Type": "application/json"], jsonBytes(["data": "x"])),
                (.delete, [:], []),
            ]
            for (method, headers, body) in requests {
                let query = method == .delete ? "?recursive=true" : method == .get ? "" : "?parents=true"
                let response = await harness.request(method, target + query, body: body, headers: headers)
                #expect(response.status.code == 400, "\(method) \(target): \(response.text)")
                #expect(response.problemType == "urn:zkgate:problem:\(slug)", "\(method) \(target): \(response.text)")
                #expect(response.headers["Content-Type"] == "application/problem+json")
            }
        }
        #expect(await harness.treeSnapshot("/") == before, "a refused path changed the tree")
        expectProblem(await harness.request(.get, "/v1/nodes/b"), status: 404, type: "no-node")
        _ = await harness.request(.delete, "/v1/nodes/a?recursive=true")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func badBodiesAre400WithTheFieldAndChangeNothing(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        #expect(await harness.request(.put, harness.nodes("/node?parents=true"), object: ["data": "keep"]).status.code == 201)
        let before = await harness.treeSnapshot()
        let json: HTTPHeaders = ["Content-Type": "application/json"]
        let cases: [(String, HTTPHeaders, [UInt8], String)] = [
            ("invalid JSON", json, Array("{\"data\":".utf8), "body"),
            ("trailing garbage", json, Array("{\"data\":\"x\"} x".utf8), "body"),
            ("empty JSON body", json, [], "body"),
            ("not an object", json, jsonBytes(["x"]), "body"),
            ("a string", json, jsonBytes("x"), "body"),
            ("unknown member", json, jsonBytes(["data": "x", "colour": "red"]), "colour"),
            ("create member on PUT", json, jsonBytes(["data": "x", "mode": "ephemeral"]), "mode"),
            ("data a number", json, jsonBytes(["data": 5]), "data"),
            ("bad encoding", json, jsonBytes(["data": "x", "encoding": "hex"]), "encoding"),
            ("encoding a number", json, jsonBytes(["data": "x", "encoding": 64]), "encoding"),
            ("bad base64 characters", json, jsonBytes(["data": "!!!!", "encoding": "base64"]), "data"),
            ("unpadded base64", json, jsonBytes(["data": "YQ", "encoding": "base64"]), "data"),
            ("text/plain", ["Content-Type": "text/plain"], Array("hello".utf8), "Content-Type"),
            ("form", ["Content-Type": "application/x-www-form-urlencoded"], Array("data=x".utf8), "Content-Type"),
            ("text/json", ["Content-Type": "text/json"], jsonBytes(["data": "x"]), "Content-Type"),
            ("no type, a body", [:], Array("hello".utf8), "body"),
        ]
        for (what, headers, body, field) in cases {
            for method in what == "create member on PUT" ? [HTTPMethod.put] : [.put, .post] {
                let target = method == .put ? harness.nodes("/node") : harness.nodes("/new")
                let response = await harness.request(method, target, body: body, headers: headers)
                #expect(response.status.code == 400, "\(method) \(what): \(response.text)")
                #expect(response.problemType == "urn:zkgate:problem:invalid-parameter", "\(method) \(what): \(response.text)")
                #expect(response.field == field, "\(method) \(what): \(response.text)")
            }
        }
        // Create-only members on POST.
        let new = harness.nodes("/new")
        expectInvalidParameter(await harness.request(.post, new, object: ["mode": 1]), field: "mode")
        expectInvalidParameter(await harness.request(.post, new, object: ["session": 12]), field: "session")
        expectInvalidParameter(await harness.request(.post, new, object: ["session": "nothex"]), field: "session")
        expectInvalidParameter(await harness.request(.post, new, object: ["mode": "ttl", "ttl": "soon"]), field: "ttl")
        let octets: HTTPHeaders = ["Content-Type": "application/octet-stream"]
        expectInvalidParameter(await harness.request(.post, new + "?mode=wrong", body: [1], headers: octets), field: "mode")
        expectInvalidParameter(await harness.request(.post, new + "?mode=ephemeral&session=12", body: [1], headers: octets),
            field: "session")
        #expect(await harness.treeSnapshot() == before, "a refused body changed the tree")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func queryParameterErrors(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let q = harness.nodes("/q")
        #expect(await harness.request(.put, q + "?parents=true", object: ["data": "x"]).status.code == 201)
        expectInvalidParameter(await harness.request(.get, q + "?children=maybe"), field: "children")
        expectInvalidParameter(await harness.request(.get, q + "?encoding=hex"), field: "encoding")
        expectInvalidParameter(await harness.request(.get, q + "?consistent=2"), field: "consistent")
        expectInvalidParameter(await harness.request(.get, q + "?index=1.5"), field: "index")
        expectInvalidParameter(await harness.request(.get, q + "?index=0&wait=1h"), field: "wait")
        expectInvalidParameter(await harness.request(.put, q + "?parents=2", object: ["data": "x"]), field: "parents")
        expectInvalidParameter(await harness.request(.put, q + "?version=1e3", object: ["data": "x"]), field: "version")
        expectInvalidParameter(await harness.request(.delete, q + "?version=%20"), field: "version")
        expectInvalidParameter(await harness.request(.delete, q + "?recursive=on"), field: "recursive")
        #expect(await harness.request(.get, q).dataText == "x")
        await harness.shutdown()
    }

    /// The coordination errors, each from its one table entry.
    @Test(arguments: backends)
    func coordinationErrors(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let base = harness.base
        #expect(await harness.request(.put, harness.nodes("/p/c?parents=true"), object: ["data": "v"]).status.code == 201)
        let before = await harness.treeSnapshot()
        let noNode = await harness.request(.get, harness.nodes("/missing"))
        expectProblem(noNode, status: 404, type: "no-node")
        #expect(noNode.json["path"] as? String == base + "/missing")
        expectProblem(await harness.request(.delete, harness.nodes("/missing")), status: 404, type: "no-node")
        expectProblem(await harness.request(.put, harness.nodes("/missing/child"), object: ["data": "x"]), status: 404, type: "no-node")
        expectProblem(await harness.request(.put, harness.nodes("/missing?version=0"), object: ["data": "x"]), status: 404, type: "no-node")
        let exists = await harness.request(.post, harness.nodes("/p"), object: ["data": "again"])
        expectProblem(exists, status: 409, type: "node-exists")
        #expect(exists.json["path"] as? String == base + "/p")
        expectProblem(await harness.request(.post, "/v1/nodes/", object: [String: Any]()), status: 409, type: "node-exists")
        let notEmpty = await harness.request(.delete, harness.nodes("/p"))
        expectProblem(notEmpty, status: 409, type: "not-empty")
        #expect(notEmpty.json["path"] as? String == base + "/p")
        expectProblem(await harness.request(.put, harness.nodes("/p?version=3"), object: ["data": "x"]), status: 412, type: "bad-version")
        expectProblem(await harness.request(.delete, harness.nodes("/p/c?version=3")), status: 412, type: "bad-version")
        expectProblem(await harness.request(.put, harness.nodes("/p"), object: ["data": "x"], headers: ["If-Match": "\"1234\""]),
            status: 412, type: "etag-mismatch")
        expectProblem(await harness.request(.put, harness.nodes("/p"), object: ["data": "x"], headers: ["If-None-Match": "*"]),
            status: 412, type: "node-exists")
        expectInvalidParameter(await harness.request(.post, harness.nodes("/p/e"), object: ["mode": "ephemeral"]), field: "session")
        expectInvalidParameter(await harness.request(.post, harness.nodes("/p/e"), object: ["mode": "ephemeral_sequential"]),
            field: "session")
        let unknown = await harness.request(.post, harness.nodes("/p/e"), object: ["mode": "ephemeral", "session": "0000000000000abc"])
        expectProblem(unknown, status: 404, type: "session-expired")
        #expect(unknown.json["session"] as? String == "0000000000000abc")
        #expect(await harness.treeSnapshot() == before, "a refused write changed the tree")
        await harness.shutdown()
    }

    @Test func methodNotAllowedAndUnknownRoutes() async throws {
        let harness = try await RouteHarness()
        let patch = await harness.request(.patch, "/v1/nodes/a", object: ["data": "x"])
        expectProblem(patch, status: 405, type: "method-not-allowed")
        #expect(patch.headers["Allow"] == "DELETE, GET, HEAD, POST, PUT")
        let options = await harness.request(.options, "/v1/nodes/a")
        #expect(options.status.code == 204)
        #expect(options.headers["Allow"] == "DELETE, GET, HEAD, POST, PUT")
        expectProblem(await harness.request(.get, "/v1/sessions"), status: 405, type: "method-not-allowed")
        expectProblem(await harness.request(.post, "/v1/sessions/0123456789abcdef"), status: 405, type: "method-not-allowed")
        expectProblem(await harness.request(.get, "/v1/nope"), status: 404, type: "not-found")
        expectProblem(await harness.request(.get, "/v1"), status: 404, type: "not-found")
        let ready = await harness.request(.get, "/readyz")
        #expect(ready.status.code == 200)
        #expect(ready.text == #"{"status":"ready"}"#)
        await harness.shutdown()
    }
}
