import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// PUT, POST and DELETE on /v1/nodes/{path}: upserts, conditions, modes, sequential names,
/// on both backends.
@Suite struct NodeWriteRouteTests {
    static let backends = RouteHarness.Backend.available

    @Test(arguments: backends)
    func putCreatesThenSets(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let k = harness.nodes("/k")
        let created = await harness.request(.put, k, object: ["data": "one"])
        #expect(created.status.code == 201)
        #expect(created.headers["Location"] == k)
        #expect(created.statInt("version") == 0)
        let set = await harness.request(.put, k, object: ["data": "two"])
        #expect(set.status.code == 200, "\(set.text)")
        #expect(set.headers["Location"] == nil)
        #expect(set.statInt("version") == 1)
        #expect(set.dataText == "two")
        #expect(set.etag != created.etag)
        #expect(try #require(set.zkIndex) > created.zkIndex ?? .max)
        let read = await harness.request(.get, k)
        #expect(read.dataText == "two")
        #expect(read.etag == set.etag)
        // An empty body without a Content-Type sets empty data.
        let empty = await harness.request(.put, k)
        #expect(empty.status.code == 200, "\(empty.text)")
        #expect(await harness.request(.get, k).statInt("dataLength") == 0)
        // Content-Type parameters and case are ignored.
        let typed = await harness.request(.put, k, body: jsonBytes(["data": "three"]),
            headers: ["Content-Type": "Application/JSON; charset=utf-8"])
        #expect(typed.status.code == 200, "\(typed.text)")
        #expect(await harness.request(.get, k).dataText == "three")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func parentsAreCreatedOnlyWhenAsked(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let before = await harness.treeSnapshot()
        expectProblem(await harness.request(.put, harness.nodes("/a/b/c"), object: ["data": "x"]), status: 404, type: "no-node")
        expectProblem(await harness.request(.post, harness.nodes("/a/b/c"), object: ["data": "x"]), status: 404, type: "no-node")
        #expect(await harness.treeSnapshot() == before, "a failed create leaves nothing behind")
        let created = await harness.request(.put, harness.nodes("/a/b/c?parents=true"), object: ["data": "x"])
        #expect(created.status.code == 201)
        #expect(await harness.request(.get, harness.nodes("/a")).statInt("dataLength") == 0)
        #expect(await harness.request(.get, harness.nodes("/a?children=true")).children == ["b"])
        #expect(await harness.request(.get, harness.nodes("/a/b/c")).dataText == "x")
        // With the ancestors present, parents=true is harmless.
        #expect(await harness.request(.put, harness.nodes("/a/b/d?parents=true"), object: ["data": "y"]).status.code == 201)
        #expect(await harness.request(.post, harness.nodes("/a/e/f?parents=true"), object: ["data": "z"]).status.code == 201)
        expectInvalidParameter(await harness.request(.put, harness.nodes("/a/b/c?parents=maybe"), object: ["data": "x"]), field: "parents")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func ifMatchIsCompareAndSet(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let cas = harness.nodes("/cas")
        let first = await harness.request(.put, cas + "?parents=true", object: ["data": "v0"])
        let etag0 = try #require(first.etag)
        let second = await harness.request(.put, cas, object: ["data": "v1"], headers: ["If-Match": etag0])
        #expect(second.status.code == 200, "\(second.text)")
        let etag1 = try #require(second.etag)
        #expect(etag1 != etag0)
        // The old ETag no longer matches: 412, data unchanged.
        let stale = await harness.request(.put, cas, object: ["data": "v2"], headers: ["If-Match": etag0])
        expectProblem(stale, status: 412, type: "etag-mismatch")
        let read = await harness.request(.get, cas)
        #expect(read.dataText == "v1")
        #expect(read.etag == etag1)
        // If-Match on a missing node is a mismatch too, and creates nothing.
        expectProblem(await harness.request(.put, harness.nodes("/absent"), object: ["data": "x"], headers: ["If-Match": etag1]),
            status: 412, type: "etag-mismatch")
        expectProblem(await harness.request(.get, harness.nodes("/absent")), status: 404, type: "no-node")
        await harness.shutdown()
    }

    /// RFC 9110 §13.1.1: `If-Match: *` is true when the resource has a current representation.
    @Test(arguments: backends)
    func ifMatchStarMatchesAnyExistingNode(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        #expect(await harness.request(.put, harness.nodes("/star?parents=true"), object: ["data": "v0"]).status.code == 201)
        let response = await harness.request(.put, harness.nodes("/star"), object: ["data": "v1"], headers: ["If-Match": "*"])
        #expect(response.status.code == 200, "\(response.text)")
        #expect(await harness.request(.get, harness.nodes("/star")).dataText == "v1")
        expectProblem(await harness.request(.put, harness.nodes("/absent"), object: ["data": "x"], headers: ["If-Match": "*"]),
            status: 412, type: "etag-mismatch")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func versionParameterIsCompareAndSet(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let v = harness.nodes("/v")
        #expect(await harness.request(.put, v + "?parents=true", object: ["data": "a"]).status.code == 201)
        let ok = await harness.request(.put, v + "?version=0", object: ["data": "b"])
        #expect(ok.status.code == 200)
        #expect(ok.statInt("version") == 1)
        let bad = await harness.request(.put, v + "?version=0", object: ["data": "c"])
        expectProblem(bad, status: 412, type: "bad-version")
        #expect(bad.json["path"] as? String == harness.base + "/v")
        #expect(await harness.request(.get, v).dataText == "b")
        #expect(await harness.request(.put, v + "?version=-1", object: ["data": "d"]).status.code == 200, "-1 matches any version")
        expectProblem(await harness.request(.put, harness.nodes("/missing?version=0"), object: ["data": "x"]), status: 404, type: "no-node")
        for bad in ["abc", "-2", "2147483648"] {
            expectInvalidParameter(await harness.request(.put, v + "?version=\(bad)", object: ["data": "x"]), field: "version")
        }
        #expect(await harness.request(.get, v).dataText == "d")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func ifNoneMatchStarIsCreateOnly(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let once = harness.nodes("/once")
        let created = await harness.request(.put, once, object: ["data": "first"], headers: ["If-None-Match": "*"])
        #expect(created.status.code == 201, "\(created.text)")
        #expect(created.headers["Location"] == once)
        let again = await harness.request(.put, once, object: ["data": "second"], headers: ["If-None-Match": "*"])
        expectProblem(again, status: 412, type: "node-exists")
        let read = await harness.request(.get, once)
        #expect(read.dataText == "first")
        #expect(read.statInt("version") == 0)
        #expect(await harness.request(.put, harness.nodes("/deep/once?parents=true"), object: ["data": "x"],
            headers: ["If-None-Match": "*"]).status.code == 201)
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func postCreatesOnceWithLocation(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let p = harness.nodes("/p")
        let created = await harness.request(.post, p, object: ["data": "x"])
        #expect(created.status.code == 201)
        #expect(created.headers["Location"] == p)
        #expect(created.dataText == "x")
        let again = await harness.request(.post, p, object: ["data": "y"])
        expectProblem(again, status: 409, type: "node-exists")
        #expect(again.json["path"] as? String == harness.base + "/p")
        #expect(await harness.request(.get, p).dataText == "x")
        // Raw bytes, with the mode in the query.
        let raw = await harness.request(.post, harness.nodes("/raw?mode=persistent"), body: allByteValues,
            headers: ["Content-Type": "application/octet-stream"])
        #expect(raw.status.code == 201, "\(raw.text)")
        #expect(await harness.request(.get, harness.nodes("/raw"), headers: ["Accept": "application/octet-stream"]).body == allByteValues)
        // An empty POST creates an empty node.
        let bare = await harness.request(.post, harness.nodes("/bare"))
        #expect(bare.status.code == 201, "\(bare.text)")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func sequentialNamesIncrease(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let q = harness.base + "/q"
        #expect(await harness.request(.put, "/v1/nodes\(q)?parents=true", object: ["data": ""]).status.code == 201)
        var names: [String] = []
        for i in 0..<5 {
            let response = await harness.request(.post, "/v1/nodes\(q)/item-", object: ["mode": "persistent_sequential", "data": "\(i)"])
            #expect(response.status.code == 201, "\(response.text)")
            let path = try #require(response.nodePath)
            #expect(response.headers["Location"] == "/v1/nodes" + path)
            names.append(path)
        }
        #expect(names == (0..<5).map { q + String(format: "/item-%010d", $0) })
        // A trailing slash names the parent: the counter is the whole name.
        let bare = await harness.request(.post, "/v1/nodes\(q)/", object: ["mode": "persistent_sequential"])
        #expect(bare.nodePath == q + "/0000000005", "\(bare.text)")
        #expect(await harness.request(.get, "/v1/nodes\(q)?children=true").children?.count == 6)
        #expect(await harness.request(.get, "/v1/nodes\(q)/item-0000000003").dataText == "3")
        // Raw body with the mode in the query.
        let raw = await harness.request(.post, "/v1/nodes\(q)/r-?mode=persistent_sequential", body: [9],
            headers: ["Content-Type": "application/octet-stream"])
        #expect(raw.nodePath == q + "/r-0000000006", "\(raw.text)")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func ttlAndContainerModes(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let t = harness.nodes("/t")
        expectInvalidParameter(await harness.request(.post, t, object: ["mode": "ttl"]), field: "ttl")
        expectInvalidParameter(await harness.request(.post, t, object: ["ttl": 1000]), field: "ttl")
        expectInvalidParameter(await harness.request(.post, t, object: ["mode": "ttl", "ttl": 0]), field: "ttl")
        expectInvalidParameter(await harness.request(.post, t, object: ["mode": "forever"]), field: "mode")
        expectProblem(await harness.request(.get, t), status: 404, type: "no-node")
        // A TTL node with no children and no change for its TTL goes away.
        let ttl = await harness.request(.post, t, object: ["mode": "ttl", "ttl": 300, "data": "short"])
        #expect(ttl.status.code == 201, "\(ttl.text)")
        #expect(await eventually(timeout: .seconds(5), every: .milliseconds(50)) {
            await harness.request(.get, t).status.code == 404
        }, "the TTL node stays")
        // A container goes once it has had a child and has none left.
        let box = harness.nodes("/box")
        #expect(await harness.request(.post, box, object: ["mode": "container"]).status.code == 201)
        #expect(await harness.request(.put, box + "/item", object: ["data": "x"]).status.code == 201)
        #expect(await harness.request(.delete, box + "/item").status.code == 204)
        #expect(await eventually(timeout: .seconds(5), every: .milliseconds(50)) {
            await harness.request(.get, box).status.code == 404
        }, "the container stays")
        await harness.shutdown()
    }

    /// `stat.type` is documented to tell node kinds apart where `ephemeralOwner` cannot.
    @Test(arguments: backends)
    func statTypeNamesTheNodeKind(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let container = await harness.request(.post, harness.nodes("/box"), object: ["mode": "container"])
        #expect(container.stat["type"] as? String == "container", "\(container.text)")
        let ttl = await harness.request(.post, harness.nodes("/ttl"), object: ["mode": "ttl", "ttl": 60000])
        #expect(ttl.stat["type"] as? String == "ttl", "\(ttl.text)")
        let readContainer = await harness.request(.get, harness.nodes("/box"))
        let readTTL = await harness.request(.get, harness.nodes("/ttl"))
        // ZooKeeper gives clients an ephemeralOwner of 0 for container and TTL nodes, and the
        // ZooKeeper backend then reads them as persistent.
        withKnownIssue("a read on the ZooKeeper backend names containers and TTL nodes persistent") {
            #expect(readContainer.stat["type"] as? String == "container", "\(readContainer.text)")
            #expect(readTTL.stat["type"] as? String == "ttl", "\(readTTL.text)")
        } when: {
            backend == .zookeeper
        }
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func deleteAndItsConditions(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let d = harness.nodes("/d")
        #expect(await harness.request(.put, d + "/x/y?parents=true", object: ["data": "leaf"]).status.code == 201)
        expectProblem(await harness.request(.delete, d), status: 409, type: "not-empty")
        expectProblem(await harness.request(.delete, d + "/x/y?version=5"), status: 412, type: "bad-version")
        expectProblem(await harness.request(.delete, harness.nodes("/nope")), status: 404, type: "no-node")
        expectInvalidParameter(await harness.request(.delete, d + "?recursive=yes"), field: "recursive")
        expectInvalidParameter(await harness.request(.delete, d + "/x/y?version=x"), field: "version")
        #expect(await harness.request(.get, d + "/x/y").dataText == "leaf", "nothing was deleted")
        let deleted = await harness.request(.delete, d + "/x/y?version=0")
        #expect(deleted.status.code == 204)
        #expect(deleted.body.isEmpty)
        #expect(deleted.zkIndex != nil)
        expectProblem(await harness.request(.get, d + "/x/y"), status: 404, type: "no-node")
        // Recursive: the whole subtree in one step.
        for p in ["/x/a", "/x/b", "/y/c/d"] {
            #expect(await harness.request(.put, d + p + "?parents=true", object: ["data": "v"]).status.code == 201)
        }
        #expect(await harness.request(.put, harness.nodes("/keep"), object: ["data": "v"]).status.code == 201)
        #expect(await harness.request(.delete, d + "?recursive=true").status.code == 204)
        expectProblem(await harness.request(.get, d), status: 404, type: "no-node")
        #expect(await harness.request(.get, harness.nodes("?children=true")).children == ["keep"])
        // The root cannot be deleted, recursively or not (not tried on a shared ensemble).
        if backend == .embedded {
            expectProblem(await harness.request(.delete, "/v1/nodes/"), status: 400, type: "bad-arguments")
            expectProblem(await harness.request(.delete, "/v1/nodes/?recursive=true"), status: 400, type: "bad-arguments")
            #expect(await harness.request(.get, harness.nodes("/keep")).status.code == 200)
        }
        await harness.shutdown()
    }
}
