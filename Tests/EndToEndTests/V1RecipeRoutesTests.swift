import Foundation
import TestSupport
import Testing

/// Elections, service registration and layered config over HTTP, on each backend.
@Suite("v1 elections, services and config")
struct V1RecipeRoutesTests {
    @Test("campaign: 200 when leading, 202 with the position otherwise; observers long-poll; resign hands over",
          arguments: RecipeBackend.all)
    func election(_ backend: RecipeBackend) throws {
        let (server, cleanup) = try backend.start("election")
        defer { cleanup() }
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        let a = try client.openSession(ttl: 30_000)
        let b = try client.openSession(ttl: 30_000)
        let first = try client.recipe("POST", "/v1/elections/db", ["session": a, "value": "node-a", "wait": "1s"])
        #expect(first.status == 200 && first.object["leading"] as? Bool == true, "\(first)")
        let second = try client.recipe("POST", "/v1/elections/db", ["session": b, "value": "node-b", "wait": "200ms"])
        #expect(second.status == 202, "\(second)")
        #expect(intValue(second.object["position"]) == 1)
        #expect((second.object["leader"] as? [String: Any])?["value"] as? String == "node-a")

        let observed = try client.request("GET", "/v1/elections/db")
        #expect((observed.object["leader"] as? [String: Any])?["value"] as? String == "node-a")
        #expect(intValue(observed.object["candidates"]) == 2)
        let index = try #require(observed.zkIndex)
        let watcher = try server.connect(timeout: 30)
        try watcher.send(HTTPRequestBytes.make("GET", "/v1/elections/db?index=\(index)&wait=20s"))
        #expect(!watcher.waitForInput(timeout: 0.3), "answered before any change")
        let token = try #require(first.token)
        #expect(try client.request("DELETE", "/v1/elections/db?token=\(token)").status == 204)
        let woken = try watcher.readResponse(timeout: 10)
        #expect((woken.object["leader"] as? [String: Any])?["value"] as? String == "node-b", "\(woken)")
        // b campaigns again: it continues its candidacy, now leading.
        let again = try client.recipe("POST", "/v1/elections/db", ["session": b, "value": "node-b", "wait": "1s"])
        #expect(again.status == 200 && again.token == second.token, "\(again)")
        expectProblem(try client.request("DELETE", "/v1/elections/db?token=\(token)"), status: 409, type: "not-holder")
        expectInvalidParameter(try client.recipe("POST", "/v1/elections/db", ["session": b, "value": 7]), field: "value")
    }

    @Test("register, list (long-poll), pick one at random, deregister; names; bad input", arguments: RecipeBackend.all)
    func services(_ backend: RecipeBackend) throws {
        let (server, cleanup) = try backend.start("services")
        defer { cleanup() }
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        let session = try client.openSession(ttl: 30_000)
        let put = try client.recipe("PUT", "/v1/services/api/i1",
            ["session": session, "address": "10.0.0.1", "port": 8080, "payload": ["zone": "eu"]])
        #expect(put.status == 200, "\(put)")
        #expect(put.object["name"] as? String == "api" && put.object["id"] as? String == "i1")
        #expect(put.object["serviceType"] as? String == "DYNAMIC")
        #expect(intValue(put.object["registrationTimeUTC"]) ?? 0 > 1_600_000_000_000)

        let listed = try client.request("GET", "/v1/services/api")
        #expect((listed.object["instances"] as? [[String: Any]])?.map { $0["id"] as? String } == ["i1"])
        let index = try #require(listed.zkIndex)
        let watcher = try server.connect(timeout: 30)
        try watcher.send(HTTPRequestBytes.make("GET", "/v1/services/api?index=\(index)&wait=20s"))
        #expect(!watcher.waitForInput(timeout: 0.3), "answered before any change")
        #expect(try client.recipe("PUT", "/v1/services/api/i2", ["session": session, "port": 81]).status == 200)
        let woken = try watcher.readResponse(timeout: 10)
        #expect((woken.object["instances"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["i1", "i2"], "\(woken)")

        var picked = Set<String>()
        for _ in 0..<40 {
            let one = try client.request("GET", "/v1/services/api?pick=random")
            #expect(one.status == 200)
            if let id = one.object["id"] as? String { picked.insert(id) }
        }
        #expect(picked == ["i1", "i2"], "random picks reach every instance")
        #expect(try client.request("GET", "/v1/services").object["services"] as? [String] == ["api"])
        #expect(try client.request("GET", "/v1/services/api/i2").object["port"] as? Int == 81)
        #expect(try client.request("DELETE", "/v1/services/api/i2").status == 204)
        expectProblem(try client.request("GET", "/v1/services/api/i2"), status: 404, type: "no-node")
        expectProblem(try client.request("DELETE", "/v1/services/api/i2"), status: 404, type: "no-node")
        expectProblem(try client.request("GET", "/v1/services/none?pick=random"), status: 404, type: "no-instance")
        expectInvalidParameter(try client.request("GET", "/v1/services/api?pick=first"), field: "pick")
        expectInvalidParameter(try client.recipe("PUT", "/v1/services/api/i3", ["session": session, "port": 70_000]), field: "port")
        expectInvalidParameter(try client.recipe("PUT", "/v1/services/api/i3", ["port": 80]), field: "session")
        expectInvalidParameter(try client.recipe("PUT", "/v1/services/api/i3", ["session": session, "weight": 1]), field: "weight")
        expectProblem(try client.recipe("PUT", "/v1/services/api/i3", ["session": "00000000000000ff"]), status: 404,
            type: "session-expired")
        #expect(try client.request("GET", "/v1/services/api/i3").status == 404, "no refused registration left a node")
    }

    @Test("effective config: layers merge (nearest wins, null deletes), ETag and long-poll cover every layer",
          arguments: RecipeBackend.all)
    func config(_ backend: RecipeBackend) throws {
        let (server, cleanup) = try backend.start("config")
        defer { cleanup() }
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        #expect(try client.put("/config?parents=true", #"{"level":"info","limits":{"rps":10,"burst":20}}"#).status == 201)
        #expect(try client.put("/config/fleet/eu?parents=true", #"{"limits":{"burst":null,"rps":50},"region":"eu"}"#).status == 201)
        let written = try #require(try client.get("/config/fleet/eu").zkIndex)
        let answer = try client.request("GET", "/v1/config/fleet/eu/dev7", headers: [("Zkgate-Index", "\(written)")])
        #expect(answer.status == 200, "\(answer)")
        let config = try #require(answer.object["config"] as? NSDictionary)
        #expect(config == ["level": "info", "limits": ["rps": 50], "region": "eu"] as NSDictionary, "\(answer.bodyText)")
        #expect((answer.object["layers"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == ["/config", "/config/fleet/eu"])
        let etag = try #require(answer.etag)
        #expect(try client.request("GET", "/v1/config/fleet/eu/dev7", headers: [("If-None-Match", etag)]).status == 304)

        // Many devices below the fleet wait; one write to the root layer wakes every one.
        let devices = 50
        let pollers = try (0..<devices).map { n -> RawHTTPClient in
            let poller = try server.connect(timeout: 30)
            try poller.send(HTTPRequestBytes.make("GET", "/v1/config/fleet/eu/dev\(n)", headers: [("If-None-Match", etag), ("Prefer", "wait=20")]))
            return poller
        }
        // The first device's own ETag equals dev7's (same layers), so all of them wait.
        #expect(!pollers[0].waitForInput(timeout: 0.3), "answered before any change")
        #expect(try client.put("/config", #"{"level":"debug","limits":{"rps":10,"burst":20}}"#).status == 200)
        for (n, poller) in pollers.enumerated() {
            let woken = try poller.readResponse(timeout: 10)
            #expect(woken.status == 200, "device \(n): \(woken)")
            #expect((woken.object["config"] as? [String: Any])?["level"] as? String == "debug", "device \(n)")
            #expect(woken.etag != etag)
        }
        // Index form: a new layer for one device wakes it.
        let now = try client.request("GET", "/v1/config/fleet/eu/dev7")
        let index = try #require(now.zkIndex)
        let device = try server.connect(timeout: 30)
        try device.send(HTTPRequestBytes.make("GET", "/v1/config/fleet/eu/dev7?index=\(index)&wait=20s"))
        #expect(!device.waitForInput(timeout: 0.3), "answered before any change")
        #expect(try client.put("/config/fleet/eu/dev7", #"{"level":"trace"}"#).status == 201)
        let mine = try device.readResponse(timeout: 10)
        #expect((mine.object["config"] as? [String: Any])?["level"] as? String == "trace", "\(mine)")

        // A layer that is not an object is named in a 422.
        let write = try client.put("/config/fleet", "[1, 2]")
        #expect(write.status == 200, "the fleet layer existed, empty, as a parent")
        let broken = try client.request("GET", "/v1/config/fleet/eu/dev7", headers: [("Zkgate-Index", "\(try #require(write.zkIndex))")])
        expectProblem(broken, status: 422, type: "config-layer-not-object")
        #expect(broken.object["layer"] as? String == "/config/fleet")
        expectProblem(try client.request("GET", "/v1/config/a//b"), status: 400, type: "invalid-name")
        #expect(try client.request("GET", "/v1/config/").status == 200, "the root layer alone")
    }
}
