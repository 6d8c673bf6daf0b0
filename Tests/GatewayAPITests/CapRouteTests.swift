import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Testing

/// `--max-parked` covers everything that waits, and `--max-sessions` caps device sessions:
/// past either, 429 with Retry-After; a waiter that leaves or ends gives its slot back.
@Suite struct CapRouteTests {
    /// A kind of waiting request, and how to make one wait.
    struct Waiter: CustomTestStringConvertible, Sendable {
        var name: String
        /// Makes whatever the waiter needs (a lock held by another session, say); returns the
        /// request that waits.
        var prepare: @Sendable (RouteHarness) async throws -> (HTTPRequestHead, [UInt8])

        var testDescription: String { name }
    }

    static func session(_ harness: RouteHarness) async throws -> String {
        let opened = await harness.request(.post, "/v1/sessions", json: #"{"ttl":20000}"#)
        return try #require(opened.json["id"] as? String)
    }

    static func index(_ response: HTTPResponse) throws -> Int64 {
        try #require(response.headers["Zkgate-Index"].flatMap(Int64.init))
    }

    static let waiters: [Waiter] = [
        Waiter(name: "node long-poll (parked on the loop)") { harness in
            let created = await harness.request(.put, "/v1/nodes\(harness.base)/n?parents=true", json: #"{"data":"x"}"#)
            return (HTTPRequestHead(method: .get, target: "/v1/nodes\(harness.base)/n?index=\(try index(created))&wait=20s"), [])
        },
        Waiter(name: "lock state long-poll (in a task)") { harness in
            let state = await harness.request(.get, "/v1/locks/l")
            return (HTTPRequestHead(method: .get, target: "/v1/locks/l?index=\(try index(state))&wait=20s"), [])
        },
        Waiter(name: "election state long-poll") { harness in
            let state = await harness.request(.get, "/v1/elections/e")
            return (HTTPRequestHead(method: .get, target: "/v1/elections/e?index=\(try index(state))&wait=20s"), [])
        },
        Waiter(name: "service listing long-poll") { harness in
            let listing = await harness.request(.get, "/v1/services/api")
            return (HTTPRequestHead(method: .get, target: "/v1/services/api?index=\(try index(listing))&wait=20s"), [])
        },
        Waiter(name: "lock waiter") { harness in
            let holder = try await session(harness)
            let granted = await harness.request(.post, "/v1/locks/busy", json: #"{"session":"\#(holder)","wait":"1s"}"#)
            #expect(granted.status.code == 200)
            let waiter = try await session(harness)
            return (HTTPRequestHead(method: .post, target: "/v1/locks/busy", headers: ["Content-Type": "application/json"]),
                Array(#"{"session":"\#(waiter)","wait":"20s"}"#.utf8))
        },
        Waiter(name: "election candidate waiting to lead") { harness in
            let leader = try await session(harness)
            let led = await harness.request(.post, "/v1/elections/vote", json: #"{"session":"\#(leader)","value":"a","wait":"1s"}"#)
            #expect(led.status.code == 200)
            let candidate = try await session(harness)
            return (HTTPRequestHead(method: .post, target: "/v1/elections/vote", headers: ["Content-Type": "application/json"]),
                Array(#"{"session":"\#(candidate)","value":"b","wait":"20s"}"#.utf8))
        },
        Waiter(name: "server-sent-event feed") { _ in
            (HTTPRequestHead(method: .get, target: "/v1/watch/?recursive=true", headers: ["Accept": "text/event-stream"]), [])
        },
    ]

    /// Waits until the request is parked or streaming (no whole answer yet).
    static func waiting(_ connection: RequestRecorder) async -> Bool {
        try? await Task.sleep(for: .milliseconds(300))
        if case .response? = connection.events.first { return false }
        return true
    }

    @Test(arguments: waiters)
    func theCapCoversEveryKindOfWaiter(waiter: Waiter) async throws {
        let harness = try await RouteHarness(.embedded, options: Gateway.Options(maxParked: 1))
        let (head, body) = try await waiter.prepare(harness)
        let first = harness.connection()
        first.send(head, body: body, to: harness.router)
        #expect(await Self.waiting(first), "the first \(waiter.name) waits")
        let second = harness.connection()
        guard case .response(let refused) = await second.respond(head, body: body, to: harness.router) else {
            Issue.record("the second \(waiter.name) was admitted past --max-parked 1")
            await harness.shutdown()
            return
        }
        #expect(refused.status.code == 429)
        #expect(refused.headers["Retry-After"] == "1")
        #expect((refused.json["type"] as? String)?.hasSuffix(":too-many-waiters") == true)
        await first.interrupt(.clientGone)
        // A task-based waiter gives its slot back once its task has ended.
        try await Task.sleep(for: .milliseconds(200))
        let third = harness.connection()
        third.send(head, body: body, to: harness.router)
        #expect(await Self.waiting(third), "the slot of the \(waiter.name) that left is free again")
        await third.interrupt(.clientGone)
        await harness.shutdown()
    }

    @Test func aRequestThatDoesNotWaitNeedsNoSlot() async throws {
        let harness = try await RouteHarness(.embedded, options: Gateway.Options(maxParked: 1))
        let created = await harness.request(.put, "/v1/nodes\(harness.base)/n?parents=true", json: #"{"data":"x"}"#)
        let parked = harness.connection()
        parked.send(HTTPRequestHead(method: .get, target: "/v1/nodes\(harness.base)/n?index=\(try Self.index(created))&wait=20s"),
            to: harness.router)
        #expect(await Self.waiting(parked))
        #expect(await harness.request(.get, "/v1/nodes\(harness.base)/n").status.code == 200)
        #expect(await harness.request(.get, "/v1/locks/l?wait=5s").status.code == 200, "no index: nothing to wait for")
        let holder = try await Self.session(harness)
        let free = await harness.request(.post, "/v1/locks/free", json: #"{"session":"\#(holder)","wait":"0s"}"#)
        #expect(free.status.code == 200)
        await parked.interrupt(.clientGone)
        await harness.shutdown()
    }

    @Test(arguments: RouteHarness.Backend.available)
    func sessionsPastTheCapAre429UntilOneCloses(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend, options: Gateway.Options(maxSessions: 2))
        let a = try await Self.session(harness)
        _ = try await Self.session(harness)
        let refused = await harness.request(.post, "/v1/sessions", json: #"{"ttl":20000}"#)
        #expect(refused.status.code == 429)
        #expect(refused.headers["Retry-After"] != nil)
        #expect((refused.json["type"] as? String)?.hasSuffix(":too-many-sessions") == true)
        #expect(await harness.request(.delete, "/v1/sessions/\(a)").status.code == 204)
        let again = await harness.request(.post, "/v1/sessions", json: #"{"ttl":20000}"#)
        #expect(again.status.code == 201)
        if let id = again.json["id"] as? String { _ = await harness.request(.delete, "/v1/sessions/\(id)") }
        await harness.shutdown()
    }
}
