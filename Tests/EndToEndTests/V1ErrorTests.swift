import Foundation
import TestSupport
import Testing

/// Every refusal of the /v1 API: status, problem type, the field named, and nothing changed.
@Suite("End to end: /v1 errors")
struct V1ErrorTests {
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
    @Test func missingNodeWithQuoteAndBackslashIsValidJSON() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.get("/a%22b%5Cc")
        expectProblem(response, status: 404, type: "no-node")
        #expect(response.json?["path"] as? String == "/a\"b\\c", "\(response.bodyText)")
        #expect(response.header("Zkgate-Index") != nil)
    }

    @Test func badPathsAre400ForEveryMethodAndChangeNothing() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/a/b?parents=true", "keep").status == 201)
        let before = try client.treeSnapshot()
        for (target, slug) in Self.badPaths {
            let requests: [(String, [(String, String)], [UInt8]?)] = [
                ("GET", [], nil),
                ("PUT", [("Content-Type", "application/json")], jsonBytes(["data": "x"])),
                ("PUT", [("Content-Type", "application/octet-stream")], [1, 2, 3]),
                ("POST", [("Content-Type", "application/json")], jsonBytes(["data": "x"])),
                ("DELETE", [], nil),
            ]
            for (method, headers, body) in requests {
                let query = method == "DELETE" ? "?recursive=true" : method == "GET" ? "" : "?parents=true"
                let response = try client.request(method, target + query, headers: headers, body: body)
                #expect(response.status == 400, "\(method) \(target): \(response)")
                #expect(response.problemType == "urn:zkgate:problem:\(slug)", "\(method) \(target): \(response.bodyText)")
                #expect(response.header("Content-Type") == "application/problem+json")
            }
        }
        #expect(try client.treeSnapshot() == before, "a refused path changed the tree")
        expectProblem(try client.get("/b"), status: 404, type: "no-node")
    }

    @Test func badBodiesAre400WithTheFieldAndChangeNothing() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/node", "keep").status == 201)
        let before = try client.treeSnapshot()
        let json = [("Content-Type", "application/json")]
        let cases: [(String, [(String, String)], [UInt8], String)] = [
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
            ("text/plain", [("Content-Type", "text/plain")], Array("hello".utf8), "Content-Type"),
            ("form", [("Content-Type", "application/x-www-form-urlencoded")], Array("data=x".utf8), "Content-Type"),
            ("text/json", [("Content-Type", "text/json")], jsonBytes(["data": "x"]), "Content-Type"),
            ("no type, a body", [], Array("hello".utf8), "body"),
        ]
        for (what, headers, body, field) in cases {
            for method in what == "create member on PUT" ? ["PUT"] : ["PUT", "POST"] {
                let target = method == "PUT" ? "/v1/nodes/node" : "/v1/nodes/new"
                let response = try client.request(method, target, headers: headers, body: body)
                #expect(response.status == 400, "\(method) \(what): \(response)")
                #expect(response.problemType == "urn:zkgate:problem:invalid-parameter", "\(method) \(what): \(response.bodyText)")
                #expect(response.field == field, "\(method) \(what): \(response.bodyText)")
            }
        }
        // Create-only members on POST.
        expectInvalidParameter(try client.post("/new", json: ["mode": 1]), field: "mode")
        expectInvalidParameter(try client.post("/new", json: ["session": 12]), field: "session")
        expectInvalidParameter(try client.post("/new", json: ["session": "nothex"]), field: "session")
        expectInvalidParameter(try client.post("/new", json: ["mode": "ttl", "ttl": "soon"]), field: "ttl")
        expectInvalidParameter(try client.request("POST", "/v1/nodes/new?mode=wrong",
            headers: [("Content-Type", "application/octet-stream")], body: [1]), field: "mode")
        expectInvalidParameter(try client.request("POST", "/v1/nodes/new?mode=ephemeral&session=12",
            headers: [("Content-Type", "application/octet-stream")], body: [1]), field: "session")
        #expect(try client.treeSnapshot() == before, "a refused body changed the tree")
    }

    @Test func queryParameterErrors() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/q", "x").status == 201)
        expectInvalidParameter(try client.get("/q?children=maybe"), field: "children")
        expectInvalidParameter(try client.get("/q?encoding=hex"), field: "encoding")
        expectInvalidParameter(try client.get("/q?consistent=2"), field: "consistent")
        expectInvalidParameter(try client.get("/q?index=1.5"), field: "index")
        expectInvalidParameter(try client.get("/q?index=0&wait=1h"), field: "wait")
        expectInvalidParameter(try client.put("/q?parents=2", "x"), field: "parents")
        expectInvalidParameter(try client.put("/q?version=1e3", "x"), field: "version")
        expectInvalidParameter(try client.delete("/q?version=%20"), field: "version")
        expectInvalidParameter(try client.delete("/q?recursive=on"), field: "recursive")
        #expect(try client.get("/q").dataText == "x")
    }

    /// The coordination errors, each from its one table entry.
    @Test func coordinationErrors() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/p/c?parents=true", "v").status == 201)
        let before = try client.treeSnapshot()
        let noNode = try client.get("/missing")
        expectProblem(noNode, status: 404, type: "no-node")
        #expect(noNode.object["path"] as? String == "/missing")
        expectProblem(try client.delete("/missing"), status: 404, type: "no-node")
        expectProblem(try client.put("/missing/child", "x"), status: 404, type: "no-node")
        expectProblem(try client.put("/missing?version=0", "x"), status: 404, type: "no-node")
        let exists = try client.post("/p", json: ["data": "again"])
        expectProblem(exists, status: 409, type: "node-exists")
        #expect(exists.object["path"] as? String == "/p")
        expectProblem(try client.post("/", json: [String: Any]()), status: 409, type: "node-exists")
        let notEmpty = try client.delete("/p")
        expectProblem(notEmpty, status: 409, type: "not-empty")
        #expect(notEmpty.object["path"] as? String == "/p")
        expectProblem(try client.put("/p?version=3", "x"), status: 412, type: "bad-version")
        expectProblem(try client.delete("/p/c?version=3"), status: 412, type: "bad-version")
        expectProblem(try client.put("/p", "x", headers: [("If-Match", "\"1234\"")]), status: 412, type: "etag-mismatch")
        expectProblem(try client.put("/p", "x", headers: [("If-None-Match", "*")]), status: 412, type: "node-exists")
        let noSession = try client.post("/p/e", json: ["mode": "ephemeral"])
        expectInvalidParameter(noSession, field: "session")
        expectInvalidParameter(try client.post("/p/e", json: ["mode": "ephemeral_sequential"]), field: "session")
        let unknown = try client.post("/p/e", json: ["mode": "ephemeral", "session": "0000000000000abc"])
        expectProblem(unknown, status: 404, type: "session-expired")
        #expect(unknown.object["session"] as? String == "0000000000000abc")
        #expect(try client.treeSnapshot() == before, "a refused write changed the tree")
    }

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

    @Test func methodNotAllowedAndUnknownRoutes() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let patch = try client.request("PATCH", "/v1/nodes/a", body: jsonBytes(["data": "x"]))
        expectProblem(patch, status: 405, type: "method-not-allowed")
        #expect(patch.header("Allow") == "DELETE, GET, HEAD, POST, PUT")
        let options = try client.request("OPTIONS", "/v1/nodes/a")
        #expect(options.status == 204)
        #expect(options.header("Allow") == "DELETE, GET, HEAD, POST, PUT")
        expectProblem(try client.request("GET", "/v1/sessions"), status: 405, type: "method-not-allowed")
        expectProblem(try client.request("POST", "/v1/sessions/0123456789abcdef"), status: 405, type: "method-not-allowed")
        expectProblem(try client.request("GET", "/v1/nope"), status: 404, type: "not-found")
        expectProblem(try client.request("GET", "/v1"), status: 404, type: "not-found")
        let ready = try client.request("GET", "/readyz")
        #expect(ready.status == 200)
        #expect(ready.bodyText == #"{"status":"ready"}"#)
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
