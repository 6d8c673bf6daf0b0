import Foundation
import Synchronization
import TestSupport
import Testing

/// PUT, POST and DELETE on /v1/nodes/{path}: upserts, conditions, modes, sequential names.
@Suite("End to end: /v1 node writes")
struct V1NodeWriteTests {
    @Test func putCreatesThenSets() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let created = try client.put("/k", "one")
        #expect(created.status == 201)
        #expect(created.header("Location") == "/v1/nodes/k")
        #expect(created.statInt("version") == 0)
        let set = try client.put("/k", "two")
        #expect(set.status == 200, "\(set)")
        #expect(set.header("Location") == nil)
        #expect(set.statInt("version") == 1)
        #expect(set.dataText == "two")
        #expect(set.etag != created.etag)
        #expect(try #require(set.zkIndex) > created.zkIndex ?? .max)
        let read = try client.get("/k")
        #expect(read.dataText == "two")
        #expect(read.etag == set.etag)
        // An empty body without a Content-Type sets empty data.
        let empty = try client.request("PUT", "/v1/nodes/k")
        #expect(empty.status == 200, "\(empty)")
        #expect(try client.get("/k").statInt("dataLength") == 0)
        // Content-Type parameters and case are ignored.
        let typed = try client.request("PUT", "/v1/nodes/k", headers: [("Content-Type", "Application/JSON; charset=utf-8")],
            body: jsonBytes(["data": "three"]))
        #expect(typed.status == 200, "\(typed)")
        #expect(try client.get("/k").dataText == "three")
    }

    @Test func parentsAreCreatedOnlyWhenAsked() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let before = try client.treeSnapshot()
        expectProblem(try client.put("/a/b/c", "x"), status: 404, type: "no-node")
        expectProblem(try client.post("/a/b/c", json: ["data": "x"]), status: 404, type: "no-node")
        #expect(try client.treeSnapshot() == before, "a failed create leaves nothing behind")
        let created = try client.put("/a/b/c?parents=true", "x")
        #expect(created.status == 201)
        #expect(try client.get("/a").statInt("dataLength") == 0)
        #expect(try client.get("/a?children=true").children == ["b"])
        #expect(try client.get("/a/b/c").dataText == "x")
        // With the ancestors present, parents=true is harmless.
        #expect(try client.put("/a/b/d?parents=true", "y").status == 201)
        #expect(try client.post("/a/e/f?parents=true", json: ["data": "z"]).status == 201)
        expectInvalidParameter(try client.put("/a/b/c?parents=maybe", "x"), field: "parents")
    }

    @Test func ifMatchIsCompareAndSet() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let first = try client.put("/cas", "v0")
        let etag0 = try #require(first.etag)
        let second = try client.put("/cas", "v1", headers: [("If-Match", etag0)])
        #expect(second.status == 200, "\(second)")
        let etag1 = try #require(second.etag)
        #expect(etag1 != etag0)
        // The old ETag no longer matches: 412, data unchanged.
        let stale = try client.put("/cas", "v2", headers: [("If-Match", etag0)])
        expectProblem(stale, status: 412, type: "etag-mismatch")
        let read = try client.get("/cas")
        #expect(read.dataText == "v1")
        #expect(read.etag == etag1)
        // If-Match on a missing node is a mismatch too, and creates nothing.
        expectProblem(try client.put("/absent", "x", headers: [("If-Match", etag1)]), status: 412, type: "etag-mismatch")
        expectProblem(try client.get("/absent"), status: 404, type: "no-node")
    }

    /// RFC 9110 §13.1.1: `If-Match: *` is true when the resource has a current representation.
    @Test
    func ifMatchStarMatchesAnyExistingNode() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/star", "v0").status == 201)
        let response = try client.put("/star", "v1", headers: [("If-Match", "*")])
        #expect(response.status == 200, "\(response)")
        #expect(try client.get("/star").dataText == "v1")
        expectProblem(try client.put("/absent", "x", headers: [("If-Match", "*")]), status: 412, type: "etag-mismatch")
    }

    @Test func versionParameterIsCompareAndSet() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/v", "a").status == 201)
        let ok = try client.put("/v?version=0", "b")
        #expect(ok.status == 200)
        #expect(ok.statInt("version") == 1)
        let bad = try client.put("/v?version=0", "c")
        expectProblem(bad, status: 412, type: "bad-version")
        #expect(bad.object["path"] as? String == "/v")
        #expect(try client.get("/v").dataText == "b")
        #expect(try client.put("/v?version=-1", "d").status == 200, "-1 matches any version")
        expectProblem(try client.put("/missing?version=0", "x"), status: 404, type: "no-node")
        expectInvalidParameter(try client.put("/v?version=abc", "x"), field: "version")
        expectInvalidParameter(try client.put("/v?version=-2", "x"), field: "version")
        expectInvalidParameter(try client.put("/v?version=2147483648", "x"), field: "version")
        #expect(try client.get("/v").dataText == "d")
    }

    @Test func ifNoneMatchStarIsCreateOnly() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let created = try client.put("/once", "first", headers: [("If-None-Match", "*")])
        #expect(created.status == 201, "\(created)")
        #expect(created.header("Location") == "/v1/nodes/once")
        let again = try client.put("/once", "second", headers: [("If-None-Match", "*")])
        expectProblem(again, status: 412, type: "node-exists")
        let read = try client.get("/once")
        #expect(read.dataText == "first")
        #expect(read.statInt("version") == 0)
        #expect(try client.put("/deep/once?parents=true", "x", headers: [("If-None-Match", "*")]).status == 201)
    }

    @Test func postCreatesOnceWithLocation() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let created = try client.post("/p", json: ["data": "x"])
        #expect(created.status == 201)
        #expect(created.header("Location") == "/v1/nodes/p")
        #expect(created.dataText == "x")
        let again = try client.post("/p", json: ["data": "y"])
        expectProblem(again, status: 409, type: "node-exists")
        #expect(again.object["path"] as? String == "/p")
        #expect(try client.get("/p").dataText == "x")
        // Raw bytes, with the mode in the query.
        let raw = try client.request("POST", "/v1/nodes/raw?mode=persistent",
            headers: [("Content-Type", "application/octet-stream")], body: allByteValues)
        #expect(raw.status == 201, "\(raw)")
        #expect(try client.get("/raw", headers: [("Accept", "application/octet-stream")]).body == allByteValues)
        // An empty POST creates an empty node.
        let bare = try client.request("POST", "/v1/nodes/bare")
        #expect(bare.status == 201, "\(bare)")
    }

    @Test func sequentialNamesIncrease() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/q", "").status == 201)
        var names: [String] = []
        for i in 0..<5 {
            let response = try client.post("/q/item-", json: ["mode": "persistent_sequential", "data": "\(i)"])
            #expect(response.status == 201, "\(response)")
            let path = try #require(response.nodePath)
            #expect(response.header("Location") == "/v1/nodes" + path)
            names.append(path)
        }
        #expect(names == (0..<5).map { String(format: "/q/item-%010d", $0) })
        // A trailing slash names the parent: the counter is the whole name.
        let bare = try client.post("/q/", json: ["mode": "persistent_sequential"])
        #expect(bare.nodePath == "/q/0000000005", "\(bare)")
        #expect(try client.get("/q?children=true").children?.count == 6)
        #expect(try client.get("/q/item-0000000003").dataText == "3")
        // Raw body with the mode in the query.
        let raw = try client.request("POST", "/v1/nodes/q/r-?mode=persistent_sequential",
            headers: [("Content-Type", "application/octet-stream")], body: [9])
        #expect(raw.nodePath == "/q/r-0000000006", "\(raw)")
    }

    @Test func ttlAndContainerModes() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        expectInvalidParameter(try client.post("/t", json: ["mode": "ttl"]), field: "ttl")
        expectInvalidParameter(try client.post("/t", json: ["ttl": 1000]), field: "ttl")
        expectInvalidParameter(try client.post("/t", json: ["mode": "ttl", "ttl": 0]), field: "ttl")
        expectInvalidParameter(try client.post("/t", json: ["mode": "forever"]), field: "mode")
        expectProblem(try client.get("/t"), status: 404, type: "no-node")
        // A TTL node with no children and no change for its TTL goes away.
        let ttl = try client.post("/t", json: ["mode": "ttl", "ttl": 300, "data": "short"])
        #expect(ttl.status == 201, "\(ttl)")
        #expect(try eventually(timeout: 5, every: 0.05) { try client.get("/t").status == 404 }, "the TTL node stays")
        // A container goes once it has had a child and has none left.
        #expect(try client.post("/box", json: ["mode": "container"]).status == 201)
        #expect(try client.put("/box/item", "x").status == 201)
        #expect(try client.delete("/box/item").status == 204)
        #expect(try eventually(timeout: 5, every: 0.05) { try client.get("/box").status == 404 }, "the container stays")
    }

    /// `stat.type` is documented to tell node kinds apart where `ephemeralOwner` cannot.
    @Test
    func statTypeNamesTheNodeKind() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let container = try client.post("/box", json: ["mode": "container"])
        #expect(container.stat["type"] as? String == "container", "\(container.bodyText)")
        #expect(try client.get("/box").stat["type"] as? String == "container")
        let ttl = try client.post("/ttl", json: ["mode": "ttl", "ttl": 60000])
        #expect(ttl.stat["type"] as? String == "ttl", "\(ttl.bodyText)")
        #expect(try client.get("/ttl").stat["type"] as? String == "ttl")
    }

    @Test func deleteAndItsConditions() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/d/x/y?parents=true", "leaf").status == 201)
        expectProblem(try client.delete("/d"), status: 409, type: "not-empty")
        expectProblem(try client.delete("/d/x/y?version=5"), status: 412, type: "bad-version")
        expectProblem(try client.delete("/nope"), status: 404, type: "no-node")
        expectInvalidParameter(try client.delete("/d?recursive=yes"), field: "recursive")
        expectInvalidParameter(try client.delete("/d/x/y?version=x"), field: "version")
        #expect(try client.get("/d/x/y").dataText == "leaf", "nothing was deleted")
        let deleted = try client.delete("/d/x/y?version=0")
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)
        #expect(deleted.zkIndex != nil)
        expectProblem(try client.get("/d/x/y"), status: 404, type: "no-node")
        // Recursive: the whole subtree in one step.
        for p in ["/d/x/a", "/d/x/b", "/d/y/c/d"] { #expect(try client.put(p + "?parents=true", "v").status == 201) }
        #expect(try client.put("/keep", "v").status == 201)
        #expect(try client.delete("/d?recursive=true").status == 204)
        expectProblem(try client.get("/d"), status: 404, type: "no-node")
        #expect(try client.get("/?children=true").children == ["keep"])
        // The root cannot be deleted, recursively or not.
        expectProblem(try client.delete("/"), status: 400, type: "bad-arguments")
        expectProblem(try client.delete("/?recursive=true"), status: 400, type: "bad-arguments")
        #expect(try client.get("/keep").status == 200)
    }

    /// Concurrent PUTs of one new path: every one succeeds, exactly one creates it.
    @Test func concurrentUpsertsOfOneNewPath() throws {
        let server = try V1Server()
        defer { server.stop() }
        let port = server.port
        let results = runOnThreads(count: 8) { i in
            let client = try RawHTTPClient(port: port)
            return try client.put("/race", "writer-\(i)").status
        }
        let statuses = try results.map { try $0.get() }
        #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 200 }.count == 7, "\(statuses)")
        let read = try server.connect().get("/race")
        #expect(read.statInt("version") == 7)
        #expect(read.dataText?.hasPrefix("writer-") == true)
    }

    /// Concurrent creates of siblings under one missing parent, each with `?parents=true`:
    /// every one must create its node, whichever request creates the parent.
    @Test
    func concurrentCreatesUnderOneNewParent() throws {
        let server = try V1Server()
        defer { server.stop() }
        let port = server.port
        var failures: [String] = []
        for round in 0..<6 {
            let results = runOnThreads(count: 6) { i in
                let client = try RawHTTPClient(port: port)
                let response = i % 2 == 0
                    ? try client.put("/fresh\(round)/deep/\(i)?parents=true", "\(i)")
                    : try client.post("/fresh\(round)/deep/\(i)?parents=true", json: ["data": "\(i)"])
                return response.status == 201 ? nil : "\(i % 2 == 0 ? "PUT" : "POST") /fresh\(round)/deep/\(i): \(response)"
            }
            for result in results { if let failure = try result.get() { failures.append(failure) } }
        }
        #expect(failures.isEmpty, "\(failures.count) of 36 failed, e.g. \(failures.first ?? "")")
    }

    /// Writes in parallel from many connections: each acknowledged with its own index, all
    /// present afterwards (group commit must not lose or mix up any).
    @Test func parallelWritesAreAllApplied() throws {
        let server = try V1Server()
        defer { server.stop() }
        let port = server.port
        #expect(try server.connect().put("/p", "").status == 201)
        let indexes = Locked<[Int]>([])
        let results = runOnThreads(count: 8) { t in
            let client = try RawHTTPClient(port: port)
            for k in 0..<25 {
                let response = try client.put("/p/\(t)-\(k)", "\(t):\(k)")
                guard response.status == 201, let index = response.zkIndex else {
                    throw HTTPClientError.malformed("\(response)")
                }
                indexes.withLock { $0.append(index) }
            }
        }
        for result in results { try result.get() }
        let all = indexes.withLock { $0 }
        #expect(all.count == 200)
        #expect(Set(all).count == 200, "every write has its own index")
        let client = try server.connect()
        #expect(try client.get("/p?children=true").children?.count == 200)
        for t in 0..<8 { #expect(try client.get("/p/\(t)-24").dataText == "\(t):24") }
    }
}
