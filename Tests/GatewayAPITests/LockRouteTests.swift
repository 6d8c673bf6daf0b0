import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Synchronization
import TestSupport
import Testing

/// Locks through their routes, on both backends: fair hand-over, fencing, no orphans, and
/// lost locks.
@Suite struct LockRouteTests {
    /// What the clients of `mutualExclusion` saw, shared between their tasks.
    final class Tally: Sendable {
        let value = Mutex<(holding: Bool, last: Int, grants: Int, problems: [String])>((false, 0, 0, []))
    }

    static let backends = RouteHarness.Backend.available

    static func acquire(_ harness: RouteHarness, _ name: String, session: String, wait: String = "0s") async -> HTTPResponse {
        await harness.request(.post, "/v1/locks/" + name, object: ["session": session, "wait": wait])
    }

    static func answer(_ connection: RequestRecorder, within timeout: Duration = .seconds(10)) async -> HTTPResponse? {
        guard case .response(let response)? = await connection.event(0, within: timeout) else { return nil }
        return response
    }

    @Test("acquire, a waiter times out with 409, hand-over on release, fencing refuses the stale holder",
          arguments: backends)
    func walkthrough(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let a = try await harness.openSession(ttl: 30_000)
        let b = try await harness.openSession(ttl: 30_000)

        let granted = await Self.acquire(harness, "printers/3", session: a)
        #expect(granted.status.code == 200, "\(granted.text)")
        let token = try #require(intValue(granted.json["token"]))
        #expect((granted.json["holder"] as? [String: Any])?["session"] as? String == a)
        #expect(intValue(granted.json["acquiredAt"]) != nil)

        let refused = await Self.acquire(harness, "printers/3", session: b, wait: "300ms")
        expectProblem(refused, status: 409, type: "lock-held")
        #expect(intValue((refused.json["holder"] as? [String: Any])?["token"]) == token)
        #expect(intValue(refused.json["position"]) == 1)
        let shown = await harness.request(.get, "/v1/locks/printers/3")
        #expect(shown.status.code == 200)
        #expect(intValue((shown.json["holder"] as? [String: Any])?["token"]) == token)
        #expect((shown.json["queue"] as? [Any])?.isEmpty == true, "the timed-out waiter left: \(shown.text)")

        // A write fenced by the holder's token applies; the waiter then gets the lock on release.
        let job = harness.nodes("/job")
        let fenced = await harness.request(.put, job + "?parents=true", object: ["data": "one"],
            headers: ["If-Fencing-Token": "printers/3=\(token)"])
        #expect(fenced.status.code == 201, "\(fenced.text)")
        let waiter = harness.connection()
        waiter.send(HTTPRequestHead(method: .post, target: "/v1/locks/printers/3", headers: ["Content-Type": "application/json"]),
            body: jsonBytes(["session": b, "wait": "20s"]), to: harness.router)
        try await Task.sleep(for: .milliseconds(300))
        #expect(waiter.count == 0, "answered while the lock was held")
        let index = try #require(shown.zkIndex)
        let watcher = harness.connection()
        watcher.send(HTTPRequestHead(method: .get, target: "/v1/locks/printers/3?index=\(index)&wait=20s"), to: harness.router)
        let released = await harness.request(.delete, "/v1/locks/printers/3?token=\(token)")
        #expect(released.status.code == 204)
        let next = try #require(await Self.answer(waiter))
        #expect(next.status.code == 200, "\(next.text)")
        let nextToken = try #require(intValue(next.json["token"]))
        #expect(nextToken > token)
        #expect(await Self.answer(watcher)?.status.code == 200)

        let stale = await harness.request(.put, job, object: ["data": "two"], headers: ["If-Fencing-Token": "printers/3=\(token)"])
        expectProblem(stale, status: 412, type: "fencing-token-stale")
        #expect(await harness.request(.get, job).dataText == "one", "the stale write was not applied")
        let staleTxn = await harness.request(.post, "/v1/txn", object: ["ops": [["op": "set", "path": harness.base + "/job", "data": "x"]]],
            headers: ["If-Fencing-Token": "printers/3=\(token)"])
        expectProblem(staleTxn, status: 412, type: "fencing-token-stale")
        expectProblem(await harness.request(.delete, "/v1/locks/printers/3?token=\(token)"), status: 409, type: "not-holder")
        #expect(await harness.request(.delete, "/v1/locks/printers/3?token=\(nextToken)").status.code == 204)
        for session in [a, b] { _ = await harness.request(.delete, "/v1/sessions/\(session)") }
        await harness.shutdown()
    }

    @Test("N clients with random pauses: never two holders, tokens strictly increase", arguments: backends)
    func mutualExclusion(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let state = Tally()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    guard let session = try? await harness.openSession(ttl: 60_000) else {
                        state.value.withLock { $0.problems.append("no session") }
                        return
                    }
                    for _ in 0..<5 {
                        let granted = await Self.acquire(harness, "m", session: session, wait: "55s")
                        guard granted.status.code == 200, let token = intValue(granted.json["token"]) else {
                            state.value.withLock { $0.problems.append("acquire: \(granted.status.code) \(granted.text)") }
                            return
                        }
                        state.value.withLock { s in
                            if s.holding { s.problems.append("two holders at token \(token)") }
                            if token <= s.last { s.problems.append("token \(token) after \(s.last)") }
                            s = (true, token, s.grants + 1, s.problems)
                        }
                        try? await Task.sleep(for: .microseconds(Int.random(in: 0...3_000)))
                        state.value.withLock { $0.holding = false }
                        let released = await harness.request(.delete, "/v1/locks/m?token=\(token)")
                        if released.status.code != 204 { state.value.withLock { $0.problems.append("release: \(released.text)") } }
                        try? await Task.sleep(for: .microseconds(Int.random(in: 0...2_000)))
                    }
                    _ = await harness.request(.delete, "/v1/sessions/\(session)")
                }
            }
        }
        let final = state.value.withLock { $0 }
        #expect(final.problems.isEmpty, "\(final.problems)")
        #expect(final.grants == 30)
        await harness.shutdown()
    }

    /// A client that leaves while waiting: its connection interrupts the parked request.
    @Test("a waiter that disconnects mid-wait leaves no contender behind", arguments: backends)
    func disconnectLeavesNoOrphan(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let a = try await harness.openSession(ttl: 30_000)
        let b = try await harness.openSession(ttl: 30_000)
        #expect(await Self.acquire(harness, "o", session: a).status.code == 200)
        let waiter = harness.connection()
        waiter.send(HTTPRequestHead(method: .post, target: "/v1/locks/o", headers: ["Content-Type": "application/json"]),
            body: jsonBytes(["session": b, "wait": "30s"]), to: harness.router)
        #expect(await eventually(timeout: .seconds(5)) {
            (await harness.request(.get, "/v1/locks/o").json["queue"] as? [Any])?.count == 1
        })
        await waiter.interrupt(.clientGone)
        #expect(await eventually(timeout: .seconds(10)) {
            (await harness.request(.get, "/v1/locks/o").json["queue"] as? [Any])?.isEmpty == true
        }, "the disconnected waiter's contender was removed")
        let children = await harness.request(.get, harness.nodes("/locks/o?children=true")).children ?? []
        #expect(children.count == 1, "\(children)")
        #expect(waiter.count == 0, "the answer of a client that left is never sent")
        for session in [a, b] { _ = await harness.request(.delete, "/v1/sessions/\(session)") }
        await harness.shutdown()
    }

    @Test("a session that expires releases its lock and registration; its renewal names the lost lock",
          arguments: backends)
    func expiryReleases(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        // The doomed session is opened last, and with room for the lock and the registration
        // to be made inside its TTL on a loaded machine.
        let other = try await harness.openSession(ttl: 30_000)
        let doomed = try await harness.openSession(ttl: 4_000)
        let granted = await Self.acquire(harness, "x", session: doomed)
        let token = try #require(intValue(granted.json["token"]), "\(granted.status.code) \(granted.text)")
        #expect(await harness.request(.put, "/v1/services/api/dev1",
            object: ["session": doomed, "address": "10.0.0.1", "port": 80]).status.code == 200)
        // The other session queues behind it and is granted once the holder's session expires.
        let next = await Self.acquire(harness, "x", session: other, wait: "20s")
        #expect(next.status.code == 200, "\(next.text)")
        #expect(try #require(intValue(next.json["token"])) > token)
        #expect(await eventually(timeout: .seconds(10)) {
            (await harness.request(.get, "/v1/services/api").json["instances"] as? [Any])?.isEmpty == true
        })
        let renewal = await harness.request(.put, "/v1/sessions/\(doomed)")
        expectProblem(renewal, status: 404, type: "session-expired")
        let lost = renewal.json["lostLocks"] as? [[String: Any]]
        #expect(lost?.count == 1 && lost?.first?["lock"] as? String == "x" && intValue(lost?.first?["token"]) == token,
            "\(renewal.text)")
        let renewed = await harness.request(.put, "/v1/sessions/\(other)")
        #expect((renewed.json["lostLocks"] as? [Any])?.isEmpty == true)
        _ = await harness.request(.delete, "/v1/sessions/\(other)")
        await harness.shutdown()
    }

    @Test("bad requests are refused clearly and change nothing", arguments: backends)
    func badRequests(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let session = try await harness.openSession()
        expectInvalidParameter(await harness.request(.post, "/v1/locks/a", object: [String: Any]()), field: "session")
        expectInvalidParameter(await harness.request(.post, "/v1/locks/a", object: ["session": "xyz"]), field: "session")
        expectInvalidParameter(await harness.request(.post, "/v1/locks/a", object: ["session": session, "wait": "soon"]), field: "wait")
        expectInvalidParameter(await harness.request(.post, "/v1/locks/a", object: ["session": session, "owner": "me"]), field: "owner")
        expectInvalidParameter(await harness.request(.post, "/v1/locks/a", body: Array("not json".utf8)), field: "body")
        expectInvalidParameter(await harness.request(.delete, "/v1/locks/a"), field: "token")
        expectInvalidParameter(await harness.request(.delete, "/v1/locks/a?token=-1"), field: "token")
        expectProblem(await Self.acquire(harness, "a//b", session: session), status: 400, type: "invalid-name")
        expectProblem(await Self.acquire(harness, "a/", session: session), status: 400, type: "invalid-name")
        expectProblem(await Self.acquire(harness, "", session: session), status: 400, type: "invalid-name")
        expectProblem(await Self.acquire(harness, "a", session: "00000000000000ff"), status: 404, type: "session-expired")
        let n = harness.nodes("/n?parents=true")
        expectInvalidParameter(await harness.request(.put, n, object: ["data": "x"], headers: ["If-Fencing-Token": "nolock"]),
            field: "If-Fencing-Token")
        expectProblem(await harness.request(.put, n, object: ["data": "x"], headers: ["If-Fencing-Token": "a=12"]),
            status: 412, type: "fencing-token-stale")
        #expect(await harness.request(.get, harness.nodes("/n")).status.code == 404, "no refused write changed anything")
        let locks = await harness.request(.get, harness.nodes("/locks?children=true"))
        #expect(locks.children ?? [] == [], "\(locks.text)")
        _ = await harness.request(.delete, "/v1/sessions/\(session)")
        await harness.shutdown()
    }
}
