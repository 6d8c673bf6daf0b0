import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Testing

/// The one long-poll component through every route that waits, on both backends: parked on
/// the loop when the state is cached, waiting in a task when it is not, woken by a write on
/// another connection, ended by its deadline, capped, and cancelled when the client leaves.
@Suite struct LongPollRouteTests {
    static let backends = RouteHarness.Backend.available

    /// A request that is still waiting after `settle`.
    static func parked(_ connection: RequestRecorder, settle: Duration = .milliseconds(150)) async -> Bool {
        try? await Task.sleep(for: settle)
        return connection.count == 0
    }

    static func answer(_ connection: RequestRecorder, _ index: Int = 0) async -> HTTPResponse? {
        guard case .response(let response)? = await connection.event(index, within: .seconds(10)) else { return nil }
        return response
    }

    @Test(arguments: backends)
    func aNodeLongPollIsWokenByAWriteOnAnotherConnection(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let node = "/v1/nodes\(harness.base)/cfg"
        let created = await harness.request(.put, node + "?parents=true", json: #"{"data":"v1"}"#)
        #expect(created.status.code == 200 || created.status.code == 201)
        let index = try #require(created.headers["Zkgate-Index"].flatMap(Int64.init))
        let waiting = harness.connection()
        waiting.send(HTTPRequestHead(method: .get, target: "\(node)?index=\(index)&wait=20s"), to: harness.router)
        #expect(await Self.parked(waiting))
        _ = await harness.request(.put, node, json: #"{"data":"v2"}"#)
        let woken = try #require(await Self.answer(waiting))
        #expect(woken.status.code == 200)
        #expect(woken.json["data"] as? String == "v2")
        #expect((woken.headers["Zkgate-Index"].flatMap(Int64.init) ?? 0) > index)
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func theWaitEndsWithTheUnchangedStateOr304(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let node = "/v1/nodes\(harness.base)/still"
        let created = await harness.request(.put, node + "?parents=true", json: #"{"data":"same"}"#)
        let index = try #require(created.headers["Zkgate-Index"].flatMap(Int64.init))
        let etag = try #require(created.headers["ETag"])
        let start = ContinuousClock.now
        let unchanged = await harness.request(.get, "\(node)?index=\(index)&wait=300ms")
        let waited = ContinuousClock.now - start
        #expect(unchanged.status.code == 200)
        #expect(unchanged.json["data"] as? String == "same")
        // The deadline has up to 1/16 of jitter, never less than the wait.
        #expect(waited >= .milliseconds(300) && waited < .seconds(5))
        let notModified = await harness.request(.get, node, headers: ["If-None-Match": etag, "Prefer": "wait=1"])
        #expect(notModified.status.code == 304)
        #expect(notModified.headers["ETag"] == etag)
        await harness.shutdown()
    }

    @Test(arguments: [
        ("?wait=soon", "wait"), ("?index=-1", "index"), ("?index=x", "index"), ("?wait=1h", "wait"),
        ("?wait=1234567890s", "wait"),
    ])
    func malformedWaitsAre400NamingTheField(query: String, field: String) async throws {
        let harness = try await RouteHarness()
        _ = await harness.request(.put, "/v1/nodes\(harness.base)/n?parents=true", json: #"{"data":"x"}"#)
        let routes = ["/v1/nodes\(harness.base)/n", "/v1/config/", "/v1/locks/l", "/v1/elections/e", "/v1/services/s", "/v1/watch/"]
        for route in routes {
            // The watch feed's cursor is `since`, not `index`.
            let answer = await harness.request(.get, route + (route == "/v1/watch/" ? query.replacingOccurrences(of: "index=", with: "since=") : query))
            #expect(answer.status.code == 400, "\(route)\(query)")
            #expect(answer.json["field"] as? String == (route == "/v1/watch/" && field == "index" ? "since" : field), "\(route)\(query)")
        }
        await harness.shutdown()
    }

    @Test func malformedHeadersAre400NamingTheHeader() async throws {
        let harness = try await RouteHarness()
        _ = await harness.request(.put, "/v1/nodes\(harness.base)/n?parents=true", json: #"{"data":"x"}"#)
        for (name, value) in [("Zkgate-Index", "-3"), ("If-None-Match", "no-quotes"), ("Prefer", "wait=later")] {
            for route in ["/v1/nodes\(harness.base)/n", "/v1/config/"] {
                let answer = await harness.request(.get, route, headers: [name: value])
                #expect(answer.status.code == 400, "\(route) \(name): \(value)")
                #expect(answer.json["field"] as? String == name)
            }
        }
        await harness.shutdown()
    }

    /// `--max-parked`: past the cap a long-poll is 429 with Retry-After; a client that leaves
    /// gives its slot back.
    @Test func theCapIs429AndALeavingClientFreesItsSlot() async throws {
        let harness = try await RouteHarness(.embedded, options: Gateway.Options(maxParked: 1))
        let node = "/v1/nodes\(harness.base)/capped"
        let created = await harness.request(.put, node + "?parents=true", json: #"{"data":"x"}"#)
        let index = try #require(created.headers["Zkgate-Index"].flatMap(Int64.init))
        let first = harness.connection()
        first.send(HTTPRequestHead(method: .get, target: "\(node)?index=\(index)&wait=20s"), to: harness.router)
        #expect(await Self.parked(first))
        let refused = await harness.request(.get, "\(node)?index=\(index)&wait=20s")
        #expect(refused.status.code == 429)
        #expect(refused.headers["Retry-After"] == "1")
        #expect((refused.json["type"] as? String)?.hasSuffix(":too-many-waiters") == true)
        await first.interrupt(.clientGone)
        let second = harness.connection()
        second.send(HTTPRequestHead(method: .get, target: "\(node)?index=\(index)&wait=20s"), to: harness.router)
        #expect(await Self.parked(second), "the slot of the client that left is free again")
        await second.interrupt(.shutdown)
        let atShutdown = try #require(await Self.answer(second))
        #expect(atShutdown.status.code == 200, "a shutdown answers a parked long-poll at once with the state")
        #expect(first.count == 0, "the answer of a client that left is never sent")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func aConfigLongPollWakesWhenAnyLayerChanges(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let config = "/v1/nodes\(harness.base)/config"
        _ = await harness.request(.put, config + "?parents=true", json: #"{"data":"{\"a\":1}"}"#)
        _ = await harness.request(.put, config + "/eu?parents=true", json: #"{"data":"{\"b\":2}"}"#)
        let first = await harness.request(.get, "/v1/config/eu")
        #expect(first.status.code == 200)
        let index = try #require(first.headers["Zkgate-Index"].flatMap(Int64.init))
        let waiting = harness.connection()
        waiting.send(HTTPRequestHead(method: .get, target: "/v1/config/eu?index=\(index)&wait=20s"), to: harness.router)
        #expect(await Self.parked(waiting))
        _ = await harness.request(.put, config, json: #"{"data":"{\"a\":3}"}"#)
        let woken = try #require(await Self.answer(waiting))
        #expect(woken.status.code == 200)
        #expect((woken.json["config"] as? [String: Any])?["a"] as? Int == 3)
        #expect((woken.json["config"] as? [String: Any])?["b"] as? Int == 2)
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func aLockLongPollWakesWhenTheLockIsTaken(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        // The wait on a lock never taken is on its nearest existing ancestor: this harness's
        // folder, not the root that other tests on a shared ensemble change.
        await harness.makeBase()
        let state = await harness.request(.get, "/v1/locks/l1")
        #expect(state.status.code == 200)
        let index = try #require(state.headers["Zkgate-Index"].flatMap(Int64.init))
        let waiting = harness.connection()
        waiting.send(HTTPRequestHead(method: .get, target: "/v1/locks/l1?index=\(index)&wait=20s"), to: harness.router)
        #expect(await Self.parked(waiting, settle: .milliseconds(300)))
        let session = await harness.request(.post, "/v1/sessions", json: #"{"ttl":10000}"#)
        let id = try #require(session.json["id"] as? String)
        let grant = await harness.request(.post, "/v1/locks/l1", json: #"{"session":"\#(id)","wait":"5s"}"#)
        #expect(grant.status.code == 200)
        let woken = try #require(await Self.answer(waiting))
        #expect((woken.json["holder"] as? [String: Any])?["session"] as? String == id)
        _ = await harness.request(.delete, "/v1/sessions/\(id)")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func aWatchLongPollGetsTheEventsAfterItsCursor(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        _ = await harness.request(.put, "/v1/nodes\(harness.base)/w?parents=true", json: #"{"data":"0"}"#)
        let now = await harness.request(.get, "/v1/watch\(harness.base)/w?wait=0s")
        let next = try #require(now.json["next"] as? Int)
        let waiting = harness.connection()
        waiting.send(HTTPRequestHead(method: .get, target: "/v1/watch\(harness.base)/w?since=\(next)&wait=20s"), to: harness.router)
        #expect(await Self.parked(waiting))
        _ = await harness.request(.put, "/v1/nodes\(harness.base)/w", json: #"{"data":"1"}"#)
        let woken = try #require(await Self.answer(waiting))
        let events = try #require(woken.json["events"] as? [[String: Any]])
        #expect(events.map { $0["type"] as? String } == ["dataChanged"])
        #expect(events.first?["path"] as? String == "\(harness.base)/w")
        await harness.shutdown()
    }
}
