import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Testing

/// Long-polls on a node, on both backends, beyond LongPollRouteTests: woken by an ETag change,
/// by the node's creation or deletion, by a child (and only a children poll is); conditions
/// already passed answer at once.
@Suite struct NodeLongPollRouteTests {
    static let backends = RouteHarness.Backend.available

    /// Sends a GET on a new connection without waiting for its answer.
    static func poll(_ harness: RouteHarness, _ target: String, headers: HTTPHeaders = [:]) -> RequestRecorder {
        let connection = harness.connection()
        connection.send(HTTPRequestHead(method: .get, target: target, headers: headers), to: harness.router)
        return connection
    }

    /// A request that is still waiting after `settle`.
    static func parked(_ connection: RequestRecorder, settle: Duration = .milliseconds(200)) async -> Bool {
        try? await Task.sleep(for: settle)
        return connection.count == 0
    }

    static func answer(_ connection: RequestRecorder, within timeout: Duration = .seconds(5)) async -> HTTPResponse? {
        guard case .response(let response)? = await connection.event(0, within: timeout) else { return nil }
        return response
    }

    @Test(arguments: backends)
    func ifNoneMatchWithPreferWaitWokenByAWrite(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let cfg = harness.nodes("/cfg")
        let etag = try #require(await harness.request(.put, cfg + "?parents=true", object: ["data": "v1"]).etag)
        let poller = Self.poll(harness, cfg, headers: ["If-None-Match": etag, "Prefer": "wait=20"])
        #expect(await Self.parked(poller))
        let sent = ContinuousClock.now
        #expect(await harness.request(.put, cfg, object: ["data": "v2"]).status.code == 200)
        let answer = try #require(await Self.answer(poller))
        #expect(ContinuousClock.now - sent < .seconds(2))
        #expect(answer.status.code == 200)
        #expect(answer.dataText == "v2")
        #expect(answer.etag != etag)
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func missingNodeWokenByItsCreation(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let later = harness.nodes("/later")
        let missing = await harness.request(.get, later)
        expectProblem(missing, status: 404, type: "no-node")
        let index = try #require(missing.zkIndex)
        let poller = Self.poll(harness, later + "?index=\(index)&wait=20s")
        #expect(await Self.parked(poller))
        let sent = ContinuousClock.now
        #expect(await harness.request(.put, later, object: ["data": "born"]).status.code == 201)
        let answer = try #require(await Self.answer(poller))
        #expect(ContinuousClock.now - sent < .seconds(2))
        #expect(answer.status.code == 200, "\(answer.text)")
        #expect(answer.dataText == "born")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func deletionWakesWith404(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let doomed = harness.nodes("/doomed")
        let index = try #require(await harness.request(.put, doomed + "?parents=true", object: ["data": "x"]).zkIndex)
        let poller = Self.poll(harness, doomed + "?index=\(index)&wait=20s")
        #expect(await Self.parked(poller))
        #expect(await harness.request(.delete, doomed).status.code == 204)
        let answer = try #require(await Self.answer(poller, within: .seconds(3)))
        expectProblem(answer, status: 404, type: "no-node")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func childrenPollWokenByAChildCreate(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let dir = harness.nodes("/dir")
        #expect(await harness.request(.put, dir + "/a?parents=true", object: ["data": ""]).status.code == 201)
        let listing = await harness.request(.get, dir + "?children=true")
        let index = try #require(listing.zkIndex)
        let poller = Self.poll(harness, dir + "?children=true&index=\(index)&wait=20s")
        // A data-only poll on the same node is not woken by a child.
        let dataPoller = Self.poll(harness, dir + "?index=\(index)&wait=6s")
        #expect(await Self.parked(poller))
        #expect(dataPoller.count == 0)
        let sent = ContinuousClock.now
        let child = await harness.request(.post, dir + "/b", object: ["data": "new"])
        #expect(child.status.code == 201)
        let answer = try #require(await Self.answer(poller))
        #expect(ContinuousClock.now - sent < .seconds(2))
        #expect(answer.status.code == 200)
        #expect(Set(answer.children ?? []) == ["a", "b"], "\(answer.text)")
        #expect(answer.etag != listing.etag)
        #expect(await Self.parked(dataPoller, settle: .milliseconds(500)), "a data poll was woken by a child create")
        let timedOut = try #require(await Self.answer(dataPoller, within: .seconds(10)))
        #expect(timedOut.status.code == 200)
        #expect(timedOut.children == nil)
        await harness.shutdown()
    }

    /// (The wait's end with the unchanged state, by index and by ETag, is in LongPollRouteTests.)
    @Test(arguments: backends)
    func alreadyPassedAnswersAtOnce(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let n = harness.nodes("/n")
        #expect(await harness.request(.put, n + "?parents=true", object: ["data": "a"]).status.code == 201)
        let put = await harness.request(.put, n, object: ["data": "b"])
        for query in ["index=0&wait=20s", "index=1&wait=20s", "index=0"] {
            let started = ContinuousClock.now
            let response = await harness.request(.get, n + "?\(query)")
            #expect(ContinuousClock.now - started < .seconds(1), "\(query) waited")
            #expect(response.status.code == 200)
            #expect(response.dataText == "b")
        }
        // A stale If-None-Match answers at once with the new state.
        let started = ContinuousClock.now
        let stale = await harness.request(.get, n, headers: ["If-None-Match": "\"1\"", "Prefer": "wait=20"])
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(stale.status.code == 200)
        #expect(stale.etag == put.etag)
        // `Prefer: wait` without a condition does not wait.
        let plain = await harness.request(.get, n, headers: ["Prefer": "wait=20"])
        #expect(plain.status.code == 200)
        await harness.shutdown()
    }

    /// (`wait=soon`, `index=x`, `index=-1` and a bare `Prefer: wait=later` are in LongPollRouteTests.)
    @Test func badWaitParameters() async throws {
        let harness = try await RouteHarness()
        let w = harness.nodes("/w")
        #expect(await harness.request(.put, w + "?parents=true", object: ["data": "x"]).status.code == 201)
        expectInvalidParameter(await harness.request(.get, w + "?index=0&wait=-1s"), field: "wait")
        expectInvalidParameter(await harness.request(.get, w, headers: ["If-None-Match": "\"1\"", "Prefer": "wait=later"]), field: "Prefer")
        await harness.shutdown()
    }
}
