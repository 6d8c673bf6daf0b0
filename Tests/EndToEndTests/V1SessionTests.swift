import Foundation
import TestSupport
import Testing

/// /v1/sessions: open, renew, inspect, close; ephemerals that go with their session.
@Suite("End to end: /v1 sessions")
struct V1SessionTests {
    @Test func lifecycle() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let opened = try client.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")],
            body: jsonBytes(["ttl": 5000]))
        #expect(opened.status == 201)
        #expect(opened.header("Content-Type") == "application/json")
        let id = try #require(opened.object["id"] as? String)
        #expect(id.count == 16 && id.allSatisfy(\.isHexDigit) && id == id.lowercased(), "id \(id)")
        #expect(opened.header("Location") == "/v1/sessions/\(id)")
        #expect(intValue(opened.object["ttl"]) == 5000)
        #expect(intValue(opened.object["expiresInMs"]) == 5000)

        let inspected = try client.request("GET", "/v1/sessions/\(id)")
        #expect(inspected.status == 200)
        #expect(inspected.object["id"] as? String == id)
        #expect(intValue(inspected.object["ttl"]) == 5000)
        let left = try #require(intValue(inspected.object["expiresInMs"]))
        #expect(left > 0 && left <= 5000)
        #expect(inspected.object["ephemerals"] as? [String] == [])

        let renewed = try client.request("PUT", "/v1/sessions/\(id)")
        #expect(renewed.status == 200)
        #expect(intValue(renewed.object["expiresInMs"]) == 5000)
        #expect(renewed.object["id"] as? String == id)

        let closed = try client.request("DELETE", "/v1/sessions/\(id)")
        #expect(closed.status == 204)
        #expect(closed.body.isEmpty)
        for method in ["GET", "PUT"] {
            let gone = try client.request(method, "/v1/sessions/\(id)")
            expectProblem(gone, status: 404, type: "session-expired")
            #expect(gone.object["session"] as? String == id)
        }
        #expect(try client.request("DELETE", "/v1/sessions/\(id)").status == 204, "closing twice is not an error")
        // Default TTL.
        let plain = try client.request("POST", "/v1/sessions")
        #expect(plain.status == 201)
        #expect(intValue(plain.object["ttl"]) == 30000)
    }

    @Test func badSessionRequests() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let cases: [(String, [UInt8], String)] = [
            ("ttl too small", jsonBytes(["ttl": 999]), "ttl"),
            ("ttl too large", jsonBytes(["ttl": 3_600_001]), "ttl"),
            ("ttl not a number", jsonBytes(["ttl": "10s"]), "ttl"),
            ("unknown member", jsonBytes(["ttl": 5000, "name": "x"]), "name"),
            ("not an object", jsonBytes([5000]), "body"),
            ("not JSON", Array("{ttl".utf8), "body"),
        ]
        for (what, body, field) in cases {
            let response = try client.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")], body: body)
            #expect(response.status == 400, "\(what): \(response)")
            #expect(response.field == field, "\(what): \(response.bodyText)")
        }
        for bad in ["xyz", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg"] {
            for method in ["GET", "PUT", "DELETE"] {
                expectInvalidParameter(try client.request(method, "/v1/sessions/\(bad)"), field: "id")
            }
        }
        for method in ["GET", "PUT", "DELETE"] {
            let unknown = try client.request(method, "/v1/sessions/0123456789abcdef")
            if method == "DELETE" {
                #expect(unknown.status == 204)
            } else {
                expectProblem(unknown, status: 404, type: "session-expired")
            }
        }
        expectProblem(try client.request("DELETE", "/v1/sessions"), status: 405, type: "method-not-allowed")
    }

    @Test func ephemeralGoesWhenItsSessionCloses() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let session = try client.openSession(ttl: 10000)
        #expect(try client.put("/group", "").status == 201)
        let member = try client.post("/group/me", json: ["mode": "ephemeral", "session": session, "data": "hi"])
        #expect(member.status == 201, "\(member)")
        #expect(member.stat["ephemeralOwner"] as? String == session)
        #expect(member.stat["type"] as? String == "ephemeral")
        let sequential = try client.post("/group/n-", json: ["mode": "ephemeral_sequential", "session": session])
        let seqPath = try #require(sequential.nodePath)
        #expect(seqPath == "/group/n-0000000001")
        // Raw body, with the session in the query.
        let raw = try client.request("POST", "/v1/nodes/group/raw?mode=ephemeral&session=\(session)",
            headers: [("Content-Type", "application/octet-stream")], body: [0, 1, 2])
        #expect(raw.status == 201, "\(raw)")
        let listed = try client.request("GET", "/v1/sessions/\(session)")
        #expect(Set(listed.object["ephemerals"] as? [String] ?? []) == ["/group/me", seqPath, "/group/raw"], "\(listed.bodyText)")
        // Ephemerals cannot have children.
        let child = try client.post("/group/me/child", json: ["data": "x"])
        expectProblem(child, status: 409, type: "no-children-for-ephemerals")
        #expect(child.object["path"] as? String == "/group/me/child")

        #expect(try client.request("DELETE", "/v1/sessions/\(session)").status == 204)
        for path in ["/group/me", seqPath, "/group/raw"] { expectProblem(try client.get(path), status: 404, type: "no-node") }
        #expect(try client.get("/group?children=true").children == [])
        // Creating with the closed session fails and creates nothing.
        let late = try client.post("/group/late", json: ["mode": "ephemeral", "session": session])
        expectProblem(late, status: 404, type: "session-expired")
        expectProblem(try client.get("/group/late"), status: 404, type: "no-node")
    }

    /// PUT (the upsert) under an ephemeral must say why it cannot create, as POST does.
    @Test
    func putUnderAnEphemeralIs409() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let session = try client.openSession()
        #expect(try client.post("/me", json: ["mode": "ephemeral", "session": session]).status == 201)
        let child = try client.put("/me/child", "x")
        expectProblem(child, status: 409, type: "no-children-for-ephemerals")
        expectProblem(try client.get("/me/child"), status: 404, type: "no-node")
    }

    /// With a 1 s TTL and no renewal the session expires and takes its ephemeral; a session
    /// renewed meanwhile keeps its own (a 3 s TTL for it: renewals 100 ms apart can still be
    /// held up for most of a second on a loaded two-core machine).
    @Test func expiryRemovesOnlyTheUnrenewedSessionsEphemerals() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let lapsing = try client.openSession(ttl: 1000)
        let renewed = try client.openSession(ttl: 3000)
        let opened = monotonicSeconds()
        #expect(try client.post("/lapsing", json: ["mode": "ephemeral", "session": lapsing]).status == 201)
        #expect(try client.post("/renewed", json: ["mode": "ephemeral", "session": renewed]).status == 201)
        var goneAfter: Double?
        let deadline = Deadline(secondsFromNow: 5)
        while !deadline.hasPassed {
            #expect(try client.request("PUT", "/v1/sessions/\(renewed)").status == 200)
            if try client.get("/lapsing").status == 404 {
                goneAfter = monotonicSeconds() - opened
                break
            }
            sleepSeconds(0.1)
        }
        let after = try #require(goneAfter, "the unrenewed session's ephemeral is still there after 5 s")
        #expect(after >= 0.9, "expired after \(after) s, before its 1 s TTL")
        expectProblem(try client.request("GET", "/v1/sessions/\(lapsing)"), status: 404, type: "session-expired")
        expectProblem(try client.request("PUT", "/v1/sessions/\(lapsing)"), status: 404, type: "session-expired")
        // Keep renewing past another TTL: the renewed one stays.
        for _ in 0..<6 {
            #expect(try client.request("PUT", "/v1/sessions/\(renewed)").status == 200)
            sleepSeconds(0.25)
        }
        #expect(try client.get("/renewed").status == 200)
        let info = try client.request("GET", "/v1/sessions/\(renewed)")
        #expect(info.object["ephemerals"] as? [String] == ["/renewed"])
    }

    /// A long-poll on an ephemeral is woken when its session closes.
    @Test func closingASessionWakesALongPollOnItsEphemeral() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let session = try client.openSession()
        let created = try client.post("/leader", json: ["mode": "ephemeral", "session": session, "data": "node-1"])
        let poller = try server.connect()
        try poller.send(HTTPRequestBytes.make("GET", "/v1/nodes/leader?index=\(created.zkIndex!)&wait=20s"))
        #expect(try eventually(timeout: 5) { try client.parked() == 1 })
        #expect(try client.request("DELETE", "/v1/sessions/\(session)").status == 204)
        expectProblem(try poller.readResponse(timeout: 3), status: 404, type: "no-node")
    }
}
