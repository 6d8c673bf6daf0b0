import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// Elections, service registration and layered config through their routes, on both backends.
@Suite struct RecipeRouteTests {
    static let backends = RouteHarness.Backend.available

    /// The first answer of a request sent on `connection`, within `timeout`.
    static func answer(_ connection: RequestRecorder, within timeout: Duration = .seconds(10)) async -> HTTPResponse? {
        guard case .response(let response)? = await connection.event(0, within: timeout) else { return nil }
        return response
    }

    /// A request that is still waiting after 300 ms.
    static func waiting(_ connection: RequestRecorder) async -> Bool {
        try? await Task.sleep(for: .milliseconds(300))
        return connection.count == 0
    }

    @Test("campaign: 200 when leading, 202 with the position otherwise; observers long-poll; resign hands over",
          arguments: backends)
    func election(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let a = try await harness.openSession(ttl: 30_000)
        let b = try await harness.openSession(ttl: 30_000)
        let first = await harness.request(.post, "/v1/elections/db", object: ["session": a, "value": "node-a", "wait": "1s"])
        #expect(first.status.code == 200 && first.json["leading"] as? Bool == true, "\(first.text)")
        let second = await harness.request(.post, "/v1/elections/db", object: ["session": b, "value": "node-b", "wait": "200ms"])
        #expect(second.status.code == 202, "\(second.text)")
        #expect(intValue(second.json["position"]) == 1)
        #expect((second.json["leader"] as? [String: Any])?["value"] as? String == "node-a")

        let observed = await harness.request(.get, "/v1/elections/db")
        #expect((observed.json["leader"] as? [String: Any])?["value"] as? String == "node-a")
        #expect(intValue(observed.json["candidates"]) == 2)
        let index = try #require(observed.zkIndex)
        let watcher = harness.connection()
        watcher.send(HTTPRequestHead(method: .get, target: "/v1/elections/db?index=\(index)&wait=20s"), to: harness.router)
        #expect(await Self.waiting(watcher), "answered before any change")
        let token = try #require(intValue(first.json["token"]))
        #expect(await harness.request(.delete, "/v1/elections/db?token=\(token)").status.code == 204)
        let woken = try #require(await Self.answer(watcher))
        #expect((woken.json["leader"] as? [String: Any])?["value"] as? String == "node-b", "\(woken.text)")
        // b campaigns again: it continues its candidacy, now leading.
        let again = await harness.request(.post, "/v1/elections/db", object: ["session": b, "value": "node-b", "wait": "1s"])
        #expect(again.status.code == 200 && intValue(again.json["token"]) == intValue(second.json["token"]), "\(again.text)")
        expectProblem(await harness.request(.delete, "/v1/elections/db?token=\(token)"), status: 409, type: "not-holder")
        expectInvalidParameter(await harness.request(.post, "/v1/elections/db", object: ["session": b, "value": 7]), field: "value")
        for session in [a, b] { _ = await harness.request(.delete, "/v1/sessions/\(session)") }
        await harness.shutdown()
    }

    @Test("register, list (long-poll), pick one at random, deregister; names; bad input", arguments: backends)
    func services(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let session = try await harness.openSession(ttl: 30_000)
        let put = await harness.request(.put, "/v1/services/api/i1",
            object: ["session": session, "address": "10.0.0.1", "port": 8080, "payload": ["zone": "eu"]])
        #expect(put.status.code == 200, "\(put.text)")
        #expect(put.json["name"] as? String == "api" && put.json["id"] as? String == "i1")
        #expect(put.json["serviceType"] as? String == "DYNAMIC")
        #expect(intValue(put.json["registrationTimeUTC"]) ?? 0 > 1_600_000_000_000)

        let listed = await harness.request(.get, "/v1/services/api")
        #expect((listed.json["instances"] as? [[String: Any]])?.map { $0["id"] as? String } == ["i1"])
        let index = try #require(listed.zkIndex)
        let watcher = harness.connection()
        watcher.send(HTTPRequestHead(method: .get, target: "/v1/services/api?index=\(index)&wait=20s"), to: harness.router)
        #expect(await Self.waiting(watcher), "answered before any change")
        #expect(await harness.request(.put, "/v1/services/api/i2", object: ["session": session, "port": 81]).status.code == 200)
        let woken = try #require(await Self.answer(watcher))
        #expect((woken.json["instances"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["i1", "i2"], "\(woken.text)")

        var picked = Set<String>()
        for _ in 0..<40 {
            let one = await harness.request(.get, "/v1/services/api?pick=random")
            #expect(one.status.code == 200)
            if let id = one.json["id"] as? String { picked.insert(id) }
        }
        #expect(picked == ["i1", "i2"], "random picks reach every instance")
        #expect(await harness.request(.get, "/v1/services").json["services"] as? [String] == ["api"])
        #expect(intValue(await harness.request(.get, "/v1/services/api/i2").json["port"]) == 81)
        #expect(await harness.request(.delete, "/v1/services/api/i2").status.code == 204)
        expectProblem(await harness.request(.get, "/v1/services/api/i2"), status: 404, type: "no-node")
        expectProblem(await harness.request(.delete, "/v1/services/api/i2"), status: 404, type: "no-node")
        expectProblem(await harness.request(.get, "/v1/services/none?pick=random"), status: 404, type: "no-instance")
        expectInvalidParameter(await harness.request(.get, "/v1/services/api?pick=first"), field: "pick")
        expectInvalidParameter(await harness.request(.put, "/v1/services/api/i3", object: ["session": session, "port": 70_000]), field: "port")
        expectInvalidParameter(await harness.request(.put, "/v1/services/api/i3", object: ["port": 80]), field: "session")
        expectInvalidParameter(await harness.request(.put, "/v1/services/api/i3", object: ["session": session, "weight": 1]), field: "weight")
        expectProblem(await harness.request(.put, "/v1/services/api/i3", object: ["session": "00000000000000ff"]), status: 404,
            type: "session-expired")
        #expect(await harness.request(.get, "/v1/services/api/i3").status.code == 404, "no refused registration left a node")
        _ = await harness.request(.delete, "/v1/sessions/\(session)")
        await harness.shutdown()
    }

    @Test("effective config: layers merge (nearest wins, null deletes), ETag and long-poll cover every layer",
          arguments: backends)
    func config(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let root = harness.base + "/config"
        #expect(await harness.request(.put, "/v1/nodes\(root)?parents=true",
            object: ["data": #"{"level":"info","limits":{"rps":10,"burst":20}}"#]).status.code == 201)
        #expect(await harness.request(.put, "/v1/nodes\(root)/fleet/eu?parents=true",
            object: ["data": #"{"limits":{"burst":null,"rps":50},"region":"eu"}"#]).status.code == 201)
        let written = try #require(await harness.request(.get, "/v1/nodes\(root)/fleet/eu").zkIndex)
        let answer = await harness.request(.get, "/v1/config/fleet/eu/dev7", headers: ["Zkgate-Index": "\(written)"])
        #expect(answer.status.code == 200, "\(answer.text)")
        let config = try #require(answer.json["config"] as? NSDictionary)
        #expect(config == ["level": "info", "limits": ["rps": 50], "region": "eu"] as NSDictionary, "\(answer.text)")
        #expect((answer.json["layers"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == [root, root + "/fleet/eu"])
        let etag = try #require(answer.etag)
        #expect(await harness.request(.get, "/v1/config/fleet/eu/dev7", headers: ["If-None-Match": etag]).status.code == 304)

        // Many devices below the fleet wait; one write to the root layer wakes every one.
        let pollers = (0..<50).map { n -> RequestRecorder in
            let poller = harness.connection()
            poller.send(HTTPRequestHead(method: .get, target: "/v1/config/fleet/eu/dev\(n)",
                headers: ["If-None-Match": etag, "Prefer": "wait=20"]), to: harness.router)
            return poller
        }
        // The first device's own ETag equals dev7's (same layers), so all of them wait.
        #expect(await Self.waiting(pollers[0]), "answered before any change")
        #expect(await harness.request(.put, "/v1/nodes\(root)",
            object: ["data": #"{"level":"debug","limits":{"rps":10,"burst":20}}"#]).status.code == 200)
        for (n, poller) in pollers.enumerated() {
            let woken = try #require(await Self.answer(poller), "device \(n)")
            #expect(woken.status.code == 200, "device \(n): \(woken.text)")
            #expect((woken.json["config"] as? [String: Any])?["level"] as? String == "debug", "device \(n)")
            #expect(woken.etag != etag)
        }
        // Index form: a new layer for one device wakes it.
        let now = await harness.request(.get, "/v1/config/fleet/eu/dev7")
        let index = try #require(now.zkIndex)
        let device = harness.connection()
        device.send(HTTPRequestHead(method: .get, target: "/v1/config/fleet/eu/dev7?index=\(index)&wait=20s"), to: harness.router)
        #expect(await Self.waiting(device), "answered before any change")
        #expect(await harness.request(.put, "/v1/nodes\(root)/fleet/eu/dev7", object: ["data": #"{"level":"trace"}"#]).status.code == 201)
        let mine = try #require(await Self.answer(device))
        #expect((mine.json["config"] as? [String: Any])?["level"] as? String == "trace", "\(mine.text)")

        // A layer that is not an object is named in a 422.
        let write = await harness.request(.put, "/v1/nodes\(root)/fleet", object: ["data": "[1, 2]"])
        #expect(write.status.code == 200, "the fleet layer existed, empty, as a parent")
        let broken = await harness.request(.get, "/v1/config/fleet/eu/dev7", headers: ["Zkgate-Index": "\(try #require(write.zkIndex))"])
        expectProblem(broken, status: 422, type: "config-layer-not-object")
        #expect(broken.json["layer"] as? String == root + "/fleet")
        expectProblem(await harness.request(.get, "/v1/config/a//b"), status: 400, type: "invalid-name")
        #expect(await harness.request(.get, "/v1/config/").status.code == 200, "the root layer alone")
        await harness.shutdown()
    }
}
