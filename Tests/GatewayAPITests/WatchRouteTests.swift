import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// The change feed's batches on both backends: events after a cursor, the next cursor, and a
/// recursive long-poll woken by a write below. (The non-recursive long-poll is in
/// LongPollRouteTests; server-sent events and `--watch-history` are end-to-end.)
@Suite struct WatchRouteTests {
    static let backends = RouteHarness.Backend.available

    static func events(_ response: HTTPResponse) -> [(type: String, path: String, index: Int)] {
        let list = (response.json["events"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        return list.map { ($0["type"] as? String ?? "", $0["path"] as? String ?? "", intValue($0["index"]) ?? -1) }
    }

    @Test(arguments: backends)
    func batchAfterACursorWithTheNextCursor(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let app = harness.base + "/app"
        let start = try #require(intValue(await harness.request(.get, "/v1/watch\(app)?recursive=true&wait=0").json["next"]))
        _ = await harness.request(.put, "/v1/nodes\(app)/a?parents=true", object: ["data": "1"])
        _ = await harness.request(.put, "/v1/nodes\(app)/a", object: ["data": "2"])
        _ = await harness.request(.put, harness.nodes("/other"), object: ["data": "x"])
        let batch = await harness.request(.get, "/v1/watch\(app)?recursive=true&since=\(start)")
        #expect(batch.status.code == 200)
        let seen = Self.events(batch)
        #expect(seen.map(\.type) == ["created", "created", "childrenChanged", "dataChanged"], "\(batch.text)")
        #expect(seen.map(\.path) == [app, app + "/a", app, app + "/a"])
        let next = try #require(intValue(batch.json["next"]))
        let last = try #require(seen.last)
        #expect(next >= last.index)
        // Not recursive: only the node itself and its children's list.
        let own = Self.events(await harness.request(.get, "/v1/watch\(app)?since=\(start)"))
        #expect(own.map(\.type) == ["created", "childrenChanged"])
        // Nothing new after `next`: an empty batch with the same cursor when not waiting.
        let empty = await harness.request(.get, "/v1/watch\(app)?recursive=true&since=\(next)&wait=0")
        #expect(Self.events(empty).isEmpty)
        // On a shared ensemble other clients' writes elsewhere may move the cursor on.
        let cursor = try #require(intValue(empty.json["next"]))
        #expect(backend == .embedded ? cursor == next : cursor >= next, "\(cursor) after \(next)")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func longPollIsWokenByAWriteBelow(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let tree = harness.base + "/tree"
        _ = await harness.request(.put, "/v1/nodes\(tree)/leaf?parents=true", object: ["data": "0"])
        let start = try #require(intValue(await harness.request(.get, "/v1/watch\(tree)?recursive=true&wait=0").json["next"]))
        let poll = harness.connection()
        poll.send(HTTPRequestHead(method: .get, target: "/v1/watch\(tree)?recursive=true&since=\(start)&wait=20s"), to: harness.router)
        try await Task.sleep(for: .milliseconds(150))
        #expect(poll.count == 0, "answered before any change")
        let written = ContinuousClock.now
        _ = await harness.request(.put, "/v1/nodes\(tree)/leaf", object: ["data": "1"])
        guard case .response(let answer)? = await poll.event(0, within: .seconds(5)) else {
            Issue.record("the long-poll was not woken")
            await harness.shutdown()
            return
        }
        #expect(ContinuousClock.now - written < .seconds(2))
        #expect(answer.status.code == 200)
        #expect(Self.events(answer).map(\.type) == ["dataChanged"])
        #expect(Self.events(answer).map(\.path) == [tree + "/leaf"])
        await harness.shutdown()
    }

    /// (`since` and `wait` malformed on /v1/watch are in LongPollRouteTests.)
    @Test func badParametersAre400() async throws {
        let harness = try await RouteHarness()
        let recursive = await harness.request(.get, "/v1/watch/x?recursive=maybe")
        #expect(recursive.status.code == 400)
        #expect(recursive.field == "recursive")
        let badID = await harness.request(.get, "/v1/watch/x", headers: ["Last-Event-ID": "x"])
        #expect(badID.status.code == 400)
        #expect(await harness.request(.get, "/v1/watch/a//b").status.code == 400)
        await harness.shutdown()
    }
}
