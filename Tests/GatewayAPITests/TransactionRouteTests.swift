import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// POST /v1/txn: several operations applied atomically, or none, on both backends.
@Suite struct TransactionRouteTests {
    static let backends = RouteHarness.Backend.available

    @Test(arguments: backends)
    func appliesEveryOperation(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let b = harness.base
        #expect(await harness.request(.put, harness.nodes("/old?parents=true"), object: ["data": "x"]).status.code == 201)
        let response = await harness.request(.post, "/v1/txn", object: ["ops": [
            ["op": "create", "path": "\(b)/t", "data": "a"],
            ["op": "create", "path": "\(b)/t/bin", "data": Data(allByteValues).base64EncodedString(), "encoding": "base64"],
            ["op": "set", "path": "\(b)/t", "data": "b", "version": 0],
            ["op": "check", "path": "\(b)/t", "version": 1],
            ["op": "create", "path": "\(b)/t/seq-", "mode": "persistent_sequential"],
            ["op": "delete", "path": "\(b)/old", "version": 0],
        ]])
        #expect(response.status.code == 200, "\(response.text)")
        #expect(response.headers["Content-Type"] == "application/json")
        let index = try #require(intValue(response.json["index"]))
        #expect(response.zkIndex == index)
        let results = try #require(response.json["results"] as? [[String: Any]])
        #expect(results.map { $0["op"] as? String } == ["create", "create", "set", "check", "create", "delete"])
        #expect(results[0]["path"] as? String == "\(b)/t")
        #expect(results[4]["path"] as? String == "\(b)/t/seq-0000000001", "\(results[4])")
        let setStat = try #require(results[2]["stat"] as? [String: Any])
        #expect(intValue(setStat["version"]) == 1)
        #expect(intValue(setStat["mzxid"]) == index, "one transaction, one zxid")
        // The reads agree.
        #expect(await harness.request(.get, harness.nodes("/t")).dataText == "b")
        #expect(await harness.request(.get, harness.nodes("/t/bin"), headers: ["Accept": "application/octet-stream"]).body == allByteValues)
        #expect(await harness.request(.get, harness.nodes("/t/seq-0000000001")).status.code == 200)
        expectProblem(await harness.request(.get, harness.nodes("/old")), status: 404, type: "no-node")
        await harness.shutdown()
    }

    /// A failing operation names itself (`failedOp`, 0-based) and why (`reason`), and nothing
    /// of the transaction is applied.
    static let failures: [(String, [[String: String]], Int, Int, String)] = [
        // (ops after a create of <base>/t-new, failing index, status, slug); paths under <base>
        ("delete missing", [["op": "delete", "path": "/nope"]], 1, 404, "no-node"),
        ("check bad version", [["op": "check", "path": "/base", "version": "7"]], 1, 412, "bad-version"),
        ("create existing", [["op": "set", "path": "/base", "data": "changed"], ["op": "create", "path": "/base"]], 2, 409, "node-exists"),
        ("delete not empty", [["op": "create", "path": "/base/kid"], ["op": "delete", "path": "/base"]], 2, 409, "not-empty"),
        ("set missing", [["op": "set", "path": "/nope", "data": "x"]], 1, 404, "no-node"),
        ("create without parent", [["op": "create", "path": "/no/parent"]], 1, 404, "no-node"),
    ]

    @Test(arguments: backends, failures.indices)
    func failureNamesTheOperationAndAppliesNothing(backend: RouteHarness.Backend, failure: Int) async throws {
        let (what, ops, failedOp, status, slug) = Self.failures[failure]
        let harness = try await RouteHarness(backend)
        #expect(await harness.request(.put, harness.nodes("/base?parents=true"), object: ["data": "original"]).status.code == 201)
        let before = await harness.treeSnapshot()
        let all: [[String: Any]] = [["op": "create", "path": harness.base + "/t-new", "data": "n"]] + ops.map { op in
            op.reduce(into: [String: Any]()) { result, member in
                result[member.key] = member.key == "path" ? harness.base + member.value : Int(member.value) ?? member.value
            }
        }
        let response = await harness.request(.post, "/v1/txn", object: ["ops": all])
        expectProblem(response, status: status, type: slug)
        #expect(intValue(response.json["failedOp"]) == failedOp, "\(what): \(response.text)")
        #expect(response.json["reason"] as? String == slug, "\(what)")
        #expect(await harness.treeSnapshot() == before, "\(what): a failed transaction changed something")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func malformedTransactionsAre400AndChangeNothing(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let base = harness.base + "/base"
        #expect(await harness.request(.put, "/v1/nodes\(base)?parents=true", object: ["data": "original"]).status.code == 201)
        let before = await harness.treeSnapshot()
        let cases: [(String, [UInt8], String)] = [
            ("not JSON", Array("{\"ops\": [".utf8), "body"),
            ("not an object", jsonBytes([1, 2]), "body"),
            ("no ops", jsonBytes([String: Any]()), "ops"),
            ("empty ops", jsonBytes(["ops": []]), "ops"),
            ("ops not an array", jsonBytes(["ops": "create"]), "ops"),
            ("unknown member", jsonBytes(["ops": [["op": "check", "path": base]], "extra": 1]), "extra"),
            ("op not an object", jsonBytes(["ops": ["create"]]), "ops[0]"),
            ("unknown op", jsonBytes(["ops": [["op": "rename", "path": base]]]), "ops[0].op"),
            ("missing op", jsonBytes(["ops": [["path": base]]]), "ops[0].op"),
            ("unknown op member", jsonBytes(["ops": [["op": "check", "path": base, "data": "x"]]]), "ops[0].data"),
            ("missing path", jsonBytes(["ops": [["op": "delete"]]]), "ops[0].path"),
            ("bad version", jsonBytes(["ops": [["op": "delete", "path": base, "version": "one"]]]), "ops[0].version"),
            ("bad encoding", jsonBytes(["ops": [["op": "set", "path": base, "data": "x", "encoding": "hex"]]]), "ops[0].encoding"),
            ("bad base64", jsonBytes(["ops": [["op": "set", "path": base, "data": "***", "encoding": "base64"]]]), "ops[0].data"),
            ("bad mode", jsonBytes(["ops": [["op": "create", "path": base + "/x", "mode": "forever"]]]), "ops[0].mode"),
            ("bad session", jsonBytes(["ops": [["op": "check", "path": base]], "session": "xyz"]), "session"),
            ("second op bad", jsonBytes(["ops": [["op": "create", "path": base + "/ok"], ["op": "nope", "path": base + "/x"]]]), "ops[1].op"),
        ]
        for (what, body, field) in cases {
            let response = await harness.request(.post, "/v1/txn", body: body, headers: ["Content-Type": "application/json"])
            #expect(response.status.code == 400, "\(what): \(response.text)")
            #expect(response.problemType == "urn:zkgate:problem:invalid-parameter", "\(what): \(response.text)")
            #expect(response.field == field, "\(what): \(response.text)")
        }
        // An invalid path in an operation.
        let badPath = await harness.request(.post, "/v1/txn", object: ["ops": [
            ["op": "create", "path": base + "/ok"], ["op": "create", "path": base + "/a/../b"],
        ]])
        expectProblem(badPath, status: 400, type: "invalid-path")
        let tooMany = await harness.request(.post, "/v1/txn", object: ["ops": (0...1000).map { ["op": "check", "path": base, "version": $0 % 1] }])
        expectInvalidParameter(tooMany, field: "ops")
        #expect(await harness.treeSnapshot() == before)
        // GET is not a transaction.
        let get = await harness.request(.get, "/v1/txn")
        expectProblem(get, status: 405, type: "method-not-allowed")
        #expect(get.headers["Allow"] == "POST")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func ephemeralsInATransactionBelongToItsSession(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let members = harness.base + "/members"
        let session = try await harness.openSession()
        let response = await harness.request(.post, "/v1/txn", object: ["session": session, "ops": [
            ["op": "create", "path": members],
            ["op": "create", "path": members + "/m-", "mode": "ephemeral_sequential", "data": "me"],
        ]])
        #expect(response.status.code == 200, "\(response.text)")
        let results = try #require(response.json["results"] as? [[String: Any]])
        let member = try #require(results.last?["path"] as? String)
        let read = await harness.request(.get, "/v1/nodes" + member)
        #expect(read.stat["ephemeralOwner"] as? String == session)
        #expect(read.stat["type"] as? String == "ephemeral")
        // No session, or an unknown one.
        let noSession = await harness.request(.post, "/v1/txn", object: ["ops": [["op": "create", "path": members + "/e", "mode": "ephemeral"]]])
        #expect(noSession.status.code == 400, "\(noSession.text)")
        let unknown = await harness.request(.post, "/v1/txn", object: ["session": "00000000000000aa", "ops": [
            ["op": "create", "path": members + "/e", "mode": "ephemeral"],
        ]])
        expectProblem(unknown, status: 404, type: "session-expired")
        #expect(unknown.json["session"] as? String == "00000000000000aa")
        // Closing the session removes what the transaction created for it.
        #expect(await harness.request(.delete, "/v1/sessions/\(session)").status.code == 204)
        expectProblem(await harness.request(.get, "/v1/nodes" + member), status: 404, type: "no-node")
        #expect(await harness.request(.get, "/v1/nodes\(members)?children=true").children == [])
        await harness.shutdown()
    }

    /// A transaction's changes wake a long-poll like a single write does.
    @Test(arguments: backends)
    func transactionWakesALongPoll(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let w = harness.base + "/w"
        let index = try #require(await harness.request(.put, "/v1/nodes\(w)?parents=true", object: ["data": "0"]).zkIndex)
        let poller = harness.connection()
        poller.send(HTTPRequestHead(method: .get, target: "/v1/nodes\(w)?index=\(index)&wait=20s"), to: harness.router)
        try? await Task.sleep(for: .milliseconds(150))
        #expect(poller.count == 0, "answered before any change")
        let txn = await harness.request(.post, "/v1/txn", object: ["ops": [
            ["op": "set", "path": w, "data": "1"], ["op": "create", "path": w + "2"],
        ]])
        #expect(txn.status.code == 200)
        guard case .response(let woken)? = await poller.event(0, within: .seconds(3)) else {
            Issue.record("the long-poll was not woken")
            await harness.shutdown()
            return
        }
        #expect(woken.dataText == "1")
        await harness.shutdown()
    }
}
