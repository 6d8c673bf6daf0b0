import Foundation
import TestSupport
import Testing

/// POST /v1/txn: several operations applied atomically, or none.
@Suite("End to end: /v1 transactions")
struct V1TransactionTests {
    @Test func appliesEveryOperation() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/old", "x").status == 201)
        let response = try client.txn(["ops": [
            ["op": "create", "path": "/t", "data": "a"],
            ["op": "create", "path": "/t/bin", "data": Data(allByteValues).base64EncodedString(), "encoding": "base64"],
            ["op": "set", "path": "/t", "data": "b", "version": 0],
            ["op": "check", "path": "/t", "version": 1],
            ["op": "create", "path": "/t/seq-", "mode": "persistent_sequential"],
            ["op": "delete", "path": "/old", "version": 0],
        ]])
        #expect(response.status == 200, "\(response)")
        #expect(response.header("Content-Type") == "application/json")
        let index = try #require(intValue(response.object["index"]))
        #expect(response.zkIndex == index)
        let results = try #require(response.object["results"] as? [[String: Any]])
        #expect(results.map { $0["op"] as? String } == ["create", "create", "set", "check", "create", "delete"])
        #expect(results[0]["path"] as? String == "/t")
        #expect(results[4]["path"] as? String == "/t/seq-0000000001", "\(results[4])")
        let setStat = try #require(results[2]["stat"] as? [String: Any])
        #expect(intValue(setStat["version"]) == 1)
        #expect(intValue(setStat["mzxid"]) == index, "one transaction, one zxid")
        // The reads agree.
        #expect(try client.get("/t").dataText == "b")
        #expect(try client.get("/t/bin", headers: [("Accept", "application/octet-stream")]).body == allByteValues)
        #expect(try client.get("/t/seq-0000000001").status == 200)
        expectProblem(try client.get("/old"), status: 404, type: "no-node")
    }

    /// A failing operation names itself (`failedOp`, 0-based) and why (`reason`), and nothing
    /// of the transaction is applied.
    @Test(arguments: [
        // (ops after a create of /t/new, failing index, status, slug)
        ("delete missing", [["op": "delete", "path": "/nope"]], 1, 404, "no-node"),
        ("check bad version", [["op": "check", "path": "/base", "version": "7"]], 1, 412, "bad-version"),
        ("create existing", [["op": "set", "path": "/base", "data": "changed"], ["op": "create", "path": "/base"]], 2, 409, "node-exists"),
        ("delete not empty", [["op": "create", "path": "/base/kid"], ["op": "delete", "path": "/base"]], 2, 409, "not-empty"),
        ("set missing", [["op": "set", "path": "/nope", "data": "x"]], 1, 404, "no-node"),
        ("create without parent", [["op": "create", "path": "/no/parent"]], 1, 404, "no-node"),
    ] as [(String, [[String: String]], Int, Int, String)])
    func failureNamesTheOperationAndAppliesNothing(
        what: String, ops: [[String: String]], failedOp: Int, status: Int, slug: String
    ) throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/base", "original").status == 201)
        let before = try client.treeSnapshot()
        let all: [[String: Any]] = [["op": "create", "path": "/t-new", "data": "n"]] + ops.map { op in
            op.mapValues { value -> Any in Int(value) ?? value }
        }
        let response = try client.txn(["ops": all])
        expectProblem(response, status: status, type: slug)
        #expect(intValue(response.object["failedOp"]) == failedOp, "\(what): \(response.bodyText)")
        #expect(response.object["reason"] as? String == slug, "\(what)")
        #expect(try client.treeSnapshot() == before, "\(what): a failed transaction changed something")
    }

    @Test func malformedTransactionsAre400AndChangeNothing() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/base", "original").status == 201)
        let before = try client.treeSnapshot()
        let cases: [(String, [UInt8], String)] = [
            ("not JSON", Array("{\"ops\": [".utf8), "body"),
            ("not an object", jsonBytes([1, 2]), "body"),
            ("no ops", jsonBytes([String: Any]()), "ops"),
            ("empty ops", jsonBytes(["ops": []]), "ops"),
            ("ops not an array", jsonBytes(["ops": "create"]), "ops"),
            ("unknown member", jsonBytes(["ops": [["op": "check", "path": "/base"]], "extra": 1]), "extra"),
            ("op not an object", jsonBytes(["ops": ["create"]]), "ops[0]"),
            ("unknown op", jsonBytes(["ops": [["op": "rename", "path": "/base"]]]), "ops[0].op"),
            ("missing op", jsonBytes(["ops": [["path": "/base"]]]), "ops[0].op"),
            ("unknown op member", jsonBytes(["ops": [["op": "check", "path": "/base", "data": "x"]]]), "ops[0].data"),
            ("missing path", jsonBytes(["ops": [["op": "delete"]]]), "ops[0].path"),
            ("bad version", jsonBytes(["ops": [["op": "delete", "path": "/base", "version": "one"]]]), "ops[0].version"),
            ("bad encoding", jsonBytes(["ops": [["op": "set", "path": "/base", "data": "x", "encoding": "hex"]]]), "ops[0].encoding"),
            ("bad base64", jsonBytes(["ops": [["op": "set", "path": "/base", "data": "***", "encoding": "base64"]]]), "ops[0].data"),
            ("bad mode", jsonBytes(["ops": [["op": "create", "path": "/x", "mode": "forever"]]]), "ops[0].mode"),
            ("bad session", jsonBytes(["ops": [["op": "check", "path": "/base"]], "session": "xyz"]), "session"),
            ("second op bad", jsonBytes(["ops": [["op": "create", "path": "/ok"], ["op": "nope", "path": "/x"]]]), "ops[1].op"),
        ]
        for (what, body, field) in cases {
            let response = try client.request("POST", "/v1/txn", headers: [("Content-Type", "application/json")], body: body)
            #expect(response.status == 400, "\(what): \(response)")
            #expect(response.problemType == "urn:zkgate:problem:invalid-parameter", "\(what): \(response.bodyText)")
            #expect(response.field == field, "\(what): \(response.bodyText)")
        }
        // An invalid path in an operation.
        let badPath = try client.txn(["ops": [["op": "create", "path": "/ok"], ["op": "create", "path": "/a/../b"]]])
        expectProblem(badPath, status: 400, type: "invalid-path")
        let tooMany = try client.txn(["ops": (0...1000).map { ["op": "check", "path": "/base", "version": $0 % 1] }])
        expectInvalidParameter(tooMany, field: "ops")
        #expect(try client.treeSnapshot() == before)
        // GET is not a transaction.
        let get = try client.request("GET", "/v1/txn")
        expectProblem(get, status: 405, type: "method-not-allowed")
        #expect(get.header("Allow") == "POST")
    }

    @Test func ephemeralsInATransactionBelongToItsSession() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let session = try client.openSession()
        let response = try client.txn(["session": session, "ops": [
            ["op": "create", "path": "/members"],
            ["op": "create", "path": "/members/m-", "mode": "ephemeral_sequential", "data": "me"],
        ]])
        #expect(response.status == 200, "\(response)")
        let results = try #require(response.object["results"] as? [[String: Any]])
        let member = try #require(results.last?["path"] as? String)
        let read = try client.get(member)
        #expect(read.stat["ephemeralOwner"] as? String == session)
        #expect(read.stat["type"] as? String == "ephemeral")
        // No session, or an unknown one.
        let noSession = try client.txn(["ops": [["op": "create", "path": "/members/e", "mode": "ephemeral"]]])
        #expect(noSession.status == 400, "\(noSession)")
        let unknown = try client.txn(["session": "00000000000000aa", "ops": [["op": "create", "path": "/members/e", "mode": "ephemeral"]]])
        expectProblem(unknown, status: 404, type: "session-expired")
        #expect(unknown.object["session"] as? String == "00000000000000aa")
        // Closing the session removes what the transaction created for it.
        #expect(try client.request("DELETE", "/v1/sessions/\(session)").status == 204)
        expectProblem(try client.get(member), status: 404, type: "no-node")
        #expect(try client.get("/members?children=true").children == [])
    }

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

    /// A transaction's changes wake a long-poll like a single write does.
    @Test func transactionWakesALongPoll() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let index = try #require(try client.put("/w", "0").zkIndex)
        let poller = try server.connect()
        try poller.send(HTTPRequestBytes.make("GET", "/v1/nodes/w?index=\(index)&wait=20s"))
        #expect(try eventually(timeout: 5) { try client.parked() == 1 })
        #expect(try client.txn(["ops": [["op": "set", "path": "/w", "data": "1"], ["op": "create", "path": "/w2"]]]).status == 200)
        #expect(try poller.readResponse(timeout: 3).dataText == "1")
    }
}
