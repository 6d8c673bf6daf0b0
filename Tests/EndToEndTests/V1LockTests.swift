import Foundation
import Synchronization
import TestSupport
import Testing

/// Locks over HTTP, on each backend: fair hand-over, fencing, no orphans, and lost locks.
@Suite("v1 locks")
struct V1LockTests {
    @Test("acquire, a waiter times out with 409, hand-over on release, fencing refuses the stale holder",
          arguments: RecipeBackend.all)
    func walkthrough(_ backend: RecipeBackend) throws {
        let (server, cleanup) = try backend.start("lock")
        defer { cleanup() }
        defer { server.stop() }
        let client = try server.connect()
        let a = try client.openSession(ttl: 30_000)
        let b = try client.openSession(ttl: 30_000)

        let granted = try client.acquire("printers/3", session: a)
        #expect(granted.status == 200, "\(granted)")
        let token = try #require(granted.token)
        #expect(granted.holder?["session"] as? String == a)
        #expect(intValue(granted.object["acquiredAt"]) != nil)

        let refused = try client.acquire("printers/3", session: b, wait: "300ms")
        expectProblem(refused, status: 409, type: "lock-held")
        #expect(intValue((refused.object["holder"] as? [String: Any])?["token"]) == token)
        #expect(intValue(refused.object["position"]) == 1)
        let shown = try client.request("GET", "/v1/locks/printers/3")
        #expect(shown.status == 200)
        #expect(intValue(shown.holder?["token"]) == token)
        #expect((shown.object["queue"] as? [Any])?.isEmpty == true, "the timed-out waiter left: \(shown.bodyText)")

        // A write fenced by the holder's token applies; the waiter then gets the lock on release.
        let fenced = try client.put("/job?parents=true", json: ["data": "one"], headers: [("If-Fencing-Token", "printers/3=\(token)")])
        #expect(fenced.status == 201, "\(fenced)")
        let waiter = try server.connect()
        try waiter.send(HTTPRequestBytes.make("POST", "/v1/locks/printers/3", headers: [("Content-Type", "application/json")],
            body: jsonBytes(["session": b, "wait": "20s"])))
        #expect(!waiter.waitForInput(timeout: 0.3), "answered while the lock was held")
        let index = try #require(shown.zkIndex)
        let watcher = try server.connect()
        try watcher.send(HTTPRequestBytes.make("GET", "/v1/locks/printers/3?index=\(index)&wait=20s"))
        let released = try client.request("DELETE", "/v1/locks/printers/3?token=\(token)")
        #expect(released.status == 204)
        let next = try waiter.readResponse(timeout: 10)
        #expect(next.status == 200, "\(next)")
        let nextToken = try #require(next.token)
        #expect(nextToken > token)
        #expect(try watcher.readResponse(timeout: 10).status == 200)

        let stale = try client.put("/job", json: ["data": "two"], headers: [("If-Fencing-Token", "printers/3=\(token)")])
        expectProblem(stale, status: 412, type: "fencing-token-stale")
        #expect(try client.get("/job").dataText == "one", "the stale write was not applied")
        let staleTxn = try client.request("POST", "/v1/txn", headers: [("Content-Type", "application/json"),
            ("If-Fencing-Token", "printers/3=\(token)")], body: jsonBytes(["ops": [["op": "set", "path": "/job", "data": "x"]]]))
        expectProblem(staleTxn, status: 412, type: "fencing-token-stale")
        expectProblem(try client.request("DELETE", "/v1/locks/printers/3?token=\(token)"), status: 409, type: "not-holder")
        #expect(try client.request("DELETE", "/v1/locks/printers/3?token=\(nextToken)").status == 204)
    }

    @Test("N HTTP clients with random pauses: never two holders, tokens strictly increase", arguments: RecipeBackend.all)
    func mutualExclusion(_ backend: RecipeBackend) throws {
        let (server, cleanup) = try backend.start("mutex")
        defer { cleanup() }
        defer { server.stop() }
        let state = Mutex<(holding: Bool, last: Int, grants: Int, problems: [String])>((false, 0, 0, []))
        let port = server.port
        let workers = (0..<6).map { worker in
            Background("mutex-\(worker)") {
                let client = try RawHTTPClient(port: port, timeout: 60)
                let session = try client.openSession(ttl: 60_000)
                for _ in 0..<5 {
                    let granted = try client.acquire("m", session: session, wait: "55s", timeout: 60)
                    guard granted.status == 200, let token = granted.token else {
                        state.withLock { $0.problems.append("acquire: \(granted)") }
                        return
                    }
                    state.withLock { s in
                        if s.holding { s.problems.append("two holders at token \(token)") }
                        if token <= s.last { s.problems.append("token \(token) after \(s.last)") }
                        s = (true, token, s.grants + 1, s.problems)
                    }
                    usleep(UInt32.random(in: 0...3_000))
                    state.withLock { $0.holding = false }
                    let released = try client.request("DELETE", "/v1/locks/m?token=\(token)")
                    if released.status != 204 { state.withLock { $0.problems.append("release: \(released)") } }
                    usleep(UInt32.random(in: 0...2_000))
                }
            }
        }
        for worker in workers {
            let outcome = try #require(worker.wait(timeout: 120))
            _ = try outcome.result.get()
        }
        let final = state.withLock { $0 }
        #expect(final.problems.isEmpty, "\(final.problems)")
        #expect(final.grants == 30)
    }

    @Test("a waiter that disconnects mid-wait leaves no contender behind", arguments: RecipeBackend.all)
    func disconnectLeavesNoOrphan(_ backend: RecipeBackend) throws {
        let (server, cleanup) = try backend.start("orphan")
        defer { cleanup() }
        defer { server.stop() }
        let client = try server.connect()
        let a = try client.openSession(ttl: 30_000)
        let b = try client.openSession(ttl: 30_000)
        #expect(try client.acquire("o", session: a).status == 200)
        let waiter = try server.connect()
        try waiter.send(HTTPRequestBytes.make("POST", "/v1/locks/o", headers: [("Content-Type", "application/json")],
            body: jsonBytes(["session": b, "wait": "30s"])))
        #expect(eventually(timeout: 5) { ((try? client.request("GET", "/v1/locks/o"))?.object["queue"] as? [Any])?.count == 1 })
        waiter.close()
        #expect(eventually(timeout: 10) { ((try? client.request("GET", "/v1/locks/o"))?.object["queue"] as? [Any])?.isEmpty == true },
            "the disconnected waiter's contender was removed")
        let children = try client.get("/locks/o?children=true").children ?? []
        #expect(children.count == 1, "\(children)")
    }

    @Test("a session that expires releases its lock and registration; its renewal names the lost lock",
          arguments: RecipeBackend.all)
    func expiryReleases(_ backend: RecipeBackend) throws {
        let (server, cleanup) = try backend.start("expiry")
        defer { cleanup() }
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        let doomed = try client.openSession(ttl: 2_000)
        let other = try client.openSession(ttl: 30_000)
        let granted = try client.acquire("x", session: doomed)
        let token = try #require(granted.token)
        #expect(try client.recipe("PUT", "/v1/services/api/dev1", ["session": doomed, "address": "10.0.0.1", "port": 80]).status == 200)
        // The other session queues behind it and is granted once the holder's session expires.
        let next = try client.acquire("x", session: other, wait: "20s", timeout: 30)
        #expect(next.status == 200, "\(next)")
        #expect(try #require(next.token) > token)
        #expect(eventually(timeout: 10) {
            ((try? client.request("GET", "/v1/services/api"))?.object["instances"] as? [Any])?.isEmpty == true
        })
        let renewal = try client.request("PUT", "/v1/sessions/\(doomed)")
        expectProblem(renewal, status: 404, type: "session-expired")
        let lost = renewal.object["lostLocks"] as? [[String: Any]]
        #expect(lost?.count == 1 && lost?.first?["lock"] as? String == "x" && intValue(lost?.first?["token"]) == token,
            "\(renewal.bodyText)")
        let renewed = try client.request("PUT", "/v1/sessions/\(other)")
        #expect((renewed.object["lostLocks"] as? [Any])?.isEmpty == true)
    }

    @Test("bad requests are refused clearly and change nothing")
    func badRequests() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let session = try client.openSession()
        expectInvalidParameter(try client.recipe("POST", "/v1/locks/a", [String: Any]()), field: "session")
        expectInvalidParameter(try client.recipe("POST", "/v1/locks/a", ["session": "xyz"]), field: "session")
        expectInvalidParameter(try client.recipe("POST", "/v1/locks/a", ["session": session, "wait": "soon"]), field: "wait")
        expectInvalidParameter(try client.recipe("POST", "/v1/locks/a", ["session": session, "owner": "me"]), field: "owner")
        expectInvalidParameter(try client.request("POST", "/v1/locks/a", body: Array("not json".utf8)), field: "body")
        expectInvalidParameter(try client.request("DELETE", "/v1/locks/a"), field: "token")
        expectInvalidParameter(try client.request("DELETE", "/v1/locks/a?token=-1"), field: "token")
        expectProblem(try client.acquire("a//b", session: session), status: 400, type: "invalid-name")
        expectProblem(try client.acquire("a/", session: session), status: 400, type: "invalid-name")
        expectProblem(try client.acquire("", session: session), status: 400, type: "invalid-name")
        expectProblem(try client.acquire("a", session: "00000000000000ff"), status: 404, type: "session-expired")
        expectInvalidParameter(try client.put("/n?parents=true", json: ["data": "x"], headers: [("If-Fencing-Token", "nolock")]),
            field: "If-Fencing-Token")
        expectProblem(try client.put("/n?parents=true", json: ["data": "x"], headers: [("If-Fencing-Token", "a=12")]),
            status: 412, type: "fencing-token-stale")
        #expect(try client.get("/n").status == 404, "no refused write changed anything")
        let locks = try client.get("/locks?children=true")
        #expect(locks.children ?? [] == [], "\(locks.bodyText)")
    }
}
