import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// /v1/sessions: open, renew, inspect, close; ephemerals that go with their session; on both
/// backends.
@Suite struct SessionRouteTests {
    static let backends = RouteHarness.Backend.available

    @Test(arguments: backends)
    func lifecycle(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let opened = await harness.request(.post, "/v1/sessions", object: ["ttl": 5000])
        #expect(opened.status.code == 201)
        #expect(opened.headers["Content-Type"] == "application/json")
        let id = try #require(opened.json["id"] as? String)
        #expect(id.count == 16 && id.allSatisfy(\.isHexDigit) && id == id.lowercased(), "id \(id)")
        #expect(opened.headers["Location"] == "/v1/sessions/\(id)")
        #expect(intValue(opened.json["ttl"]) == 5000)
        #expect(intValue(opened.json["expiresInMs"]) == 5000)

        let inspected = await harness.request(.get, "/v1/sessions/\(id)")
        #expect(inspected.status.code == 200)
        #expect(inspected.json["id"] as? String == id)
        #expect(intValue(inspected.json["ttl"]) == 5000)
        let left = try #require(intValue(inspected.json["expiresInMs"]))
        #expect(left > 0 && left <= 5000)
        #expect(inspected.json["ephemerals"] as? [String] == [])

        let renewed = await harness.request(.put, "/v1/sessions/\(id)")
        #expect(renewed.status.code == 200)
        #expect(intValue(renewed.json["expiresInMs"]) == 5000)
        #expect(renewed.json["id"] as? String == id)

        let closed = await harness.request(.delete, "/v1/sessions/\(id)")
        #expect(closed.status.code == 204)
        #expect(closed.body.isEmpty)
        for method in [HTTPMethod.get, .put] {
            let gone = await harness.request(method, "/v1/sessions/\(id)")
            expectProblem(gone, status: 404, type: "session-expired")
            #expect(gone.json["session"] as? String == id)
        }
        #expect(await harness.request(.delete, "/v1/sessions/\(id)").status.code == 204, "closing twice is not an error")
        // Default TTL.
        let plain = await harness.request(.post, "/v1/sessions")
        #expect(plain.status.code == 201)
        #expect(intValue(plain.json["ttl"]) == 30000)
        if let other = plain.json["id"] as? String { _ = await harness.request(.delete, "/v1/sessions/\(other)") }
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func badSessionRequests(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let cases: [(String, [UInt8], String)] = [
            ("ttl too small", jsonBytes(["ttl": 999]), "ttl"),
            ("ttl too large", jsonBytes(["ttl": 3_600_001]), "ttl"),
            ("ttl not a number", jsonBytes(["ttl": "10s"]), "ttl"),
            ("unknown member", jsonBytes(["ttl": 5000, "name": "x"]), "name"),
            ("not an object", jsonBytes([5000]), "body"),
            ("not JSON", Array("{ttl".utf8), "body"),
        ]
        for (what, body, field) in cases {
            let response = await harness.request(.post, "/v1/sessions", body: body, headers: ["Content-Type": "application/json"])
            #expect(response.status.code == 400, "\(what): \(response.text)")
            #expect(response.field == field, "\(what): \(response.text)")
        }
        for bad in ["xyz", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg"] {
            for method in [HTTPMethod.get, .put, .delete] {
                expectInvalidParameter(await harness.request(method, "/v1/sessions/\(bad)"), field: "id")
            }
        }
        for method in [HTTPMethod.get, .put, .delete] {
            let unknown = await harness.request(method, "/v1/sessions/0123456789abcdef")
            if method == .delete {
                #expect(unknown.status.code == 204)
            } else {
                expectProblem(unknown, status: 404, type: "session-expired")
            }
        }
        expectProblem(await harness.request(.delete, "/v1/sessions"), status: 405, type: "method-not-allowed")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func ephemeralGoesWhenItsSessionCloses(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let group = harness.base + "/group"
        let session = try await harness.openSession(ttl: 10000)
        #expect(await harness.request(.put, "/v1/nodes\(group)?parents=true", object: ["data": ""]).status.code == 201)
        let member = await harness.request(.post, "/v1/nodes\(group)/me", object: ["mode": "ephemeral", "session": session, "data": "hi"])
        #expect(member.status.code == 201, "\(member.text)")
        #expect(member.stat["ephemeralOwner"] as? String == session)
        #expect(member.stat["type"] as? String == "ephemeral")
        let sequential = await harness.request(.post, "/v1/nodes\(group)/n-", object: ["mode": "ephemeral_sequential", "session": session])
        let seqPath = try #require(sequential.nodePath)
        #expect(seqPath == group + "/n-0000000001")
        // Raw body, with the session in the query.
        let raw = await harness.request(.post, "/v1/nodes\(group)/raw?mode=ephemeral&session=\(session)", body: [0, 1, 2],
            headers: ["Content-Type": "application/octet-stream"])
        #expect(raw.status.code == 201, "\(raw.text)")
        let listed = await harness.request(.get, "/v1/sessions/\(session)")
        #expect(Set(listed.json["ephemerals"] as? [String] ?? []) == [group + "/me", seqPath, group + "/raw"], "\(listed.text)")
        // Ephemerals cannot have children.
        let child = await harness.request(.post, "/v1/nodes\(group)/me/child", object: ["data": "x"])
        expectProblem(child, status: 409, type: "no-children-for-ephemerals")
        #expect(child.json["path"] as? String == group + "/me/child")

        #expect(await harness.request(.delete, "/v1/sessions/\(session)").status.code == 204)
        for path in [group + "/me", seqPath, group + "/raw"] {
            expectProblem(await harness.request(.get, "/v1/nodes" + path), status: 404, type: "no-node")
        }
        #expect(await harness.request(.get, "/v1/nodes\(group)?children=true").children == [])
        // Creating with the closed session fails and creates nothing.
        let late = await harness.request(.post, "/v1/nodes\(group)/late", object: ["mode": "ephemeral", "session": session])
        expectProblem(late, status: 404, type: "session-expired")
        expectProblem(await harness.request(.get, "/v1/nodes\(group)/late"), status: 404, type: "no-node")
        await harness.shutdown()
    }

    /// PUT (the upsert) under an ephemeral must say why it cannot create, as POST does.
    @Test(arguments: backends)
    func putUnderAnEphemeralIs409(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let session = try await harness.openSession()
        #expect(await harness.request(.post, harness.nodes("/me"), object: ["mode": "ephemeral", "session": session]).status.code == 201)
        let child = await harness.request(.put, harness.nodes("/me/child"), object: ["data": "x"])
        expectProblem(child, status: 409, type: "no-children-for-ephemerals")
        expectProblem(await harness.request(.get, harness.nodes("/me/child")), status: 404, type: "no-node")
        _ = await harness.request(.delete, "/v1/sessions/\(session)")
        await harness.shutdown()
    }

    /// With a 2 s TTL and no renewal the session expires and takes its ephemeral; a session
    /// renewed meanwhile keeps its own (a 3 s TTL for it: renewals 100 ms apart can still be
    /// held up for most of a second on a loaded two-core machine).
    @Test(arguments: backends)
    func expiryRemovesOnlyTheUnrenewedSessionsEphemerals(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let renewed = try await harness.openSession(ttl: 3000)
        #expect(await harness.request(.post, harness.nodes("/renewed"), object: ["mode": "ephemeral", "session": renewed]).status.code == 201)
        // Its deadline is set after the open was sent, so no expiry can come before 2 s from
        // here, however late this task runs again. Its ephemeral is made at once.
        let opened = ContinuousClock.now
        let lapsing = try await harness.openSession(ttl: 2000)
        #expect(await harness.request(.post, harness.nodes("/lapsing"), object: ["mode": "ephemeral", "session": lapsing]).status.code == 201)
        var goneAfter: Duration?
        let deadline = ContinuousClock.now + .seconds(6)
        while ContinuousClock.now < deadline {
            #expect(await harness.request(.put, "/v1/sessions/\(renewed)").status.code == 200)
            if await harness.request(.get, harness.nodes("/lapsing")).status.code == 404 {
                goneAfter = ContinuousClock.now - opened
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let after = try #require(goneAfter, "the unrenewed session's ephemeral is still there after 6 s")
        #expect(after >= .milliseconds(1900), "expired after \(after), before its 2 s TTL")
        expectProblem(await harness.request(.get, "/v1/sessions/\(lapsing)"), status: 404, type: "session-expired")
        expectProblem(await harness.request(.put, "/v1/sessions/\(lapsing)"), status: 404, type: "session-expired")
        // Keep renewing past another TTL: the renewed one stays.
        for _ in 0..<6 {
            #expect(await harness.request(.put, "/v1/sessions/\(renewed)").status.code == 200)
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(await harness.request(.get, harness.nodes("/renewed")).status.code == 200)
        let info = await harness.request(.get, "/v1/sessions/\(renewed)")
        #expect(info.json["ephemerals"] as? [String] == [harness.base + "/renewed"])
        _ = await harness.request(.delete, "/v1/sessions/\(renewed)")
        await harness.shutdown()
    }

    /// A long-poll on an ephemeral is woken when its session closes.
    @Test(arguments: backends)
    func closingASessionWakesALongPollOnItsEphemeral(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let session = try await harness.openSession()
        let created = await harness.request(.post, harness.nodes("/leader"), object: ["mode": "ephemeral", "session": session, "data": "node-1"])
        let index = try #require(created.zkIndex)
        let poller = harness.connection()
        poller.send(HTTPRequestHead(method: .get, target: harness.nodes("/leader?index=\(index)&wait=20s")), to: harness.router)
        try await Task.sleep(for: .milliseconds(150))
        #expect(poller.count == 0, "answered before any change")
        #expect(await harness.request(.delete, "/v1/sessions/\(session)").status.code == 204)
        guard case .response(let woken)? = await poller.event(0, within: .seconds(3)) else {
            Issue.record("the long-poll was not woken")
            await harness.shutdown()
            return
        }
        expectProblem(woken, status: 404, type: "no-node")
        await harness.shutdown()
    }

    /// Session ids say nothing about other sessions: on ZooKeeper they were the zxids of a
    /// counter (0x5, 0x15, 0x17, …), one guess from a neighbour's. Drawn at random now, no two
    /// of 32 ids are within 2^32 of each other (by chance, one run in two million).
    @Test(arguments: backends)
    func sessionIdsAreNotGuessable(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        var ids: [UInt64] = []
        for _ in 0..<32 {
            let id = try await harness.openSession()
            ids.append(try #require(UInt64(id, radix: 16)))
            #expect(await harness.request(.delete, "/v1/sessions/\(id)").status.code == 204)
        }
        ids.sort()
        for (a, b) in zip(ids, ids.dropFirst()) { #expect(b - a > 1 << 32, "\(String(a, radix: 16)) then \(String(b, radix: 16))") }
        await harness.shutdown()
    }
}
