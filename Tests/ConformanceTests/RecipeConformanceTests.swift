import Coordination
import JSON
import Recipes
import Synchronization
import TestSupport
import Testing

/// The recipes over each backend: the same guarantees whichever serves them.
@Suite("Conformance: recipes")
struct RecipeConformanceTests {
    func locks(_ h: Harness) throws -> Locks {
        Locks(backend: h.backend, waiters: h.changes.waiters, root: try h.path("locks"))
    }

    @Test("N contenders with random pauses: never two holders, tokens strictly increase", arguments: ConformanceBackends.all)
    func mutualExclusion(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "lock-mutex") { h in
            let locks = try locks(h)
            let checker = MutexChecker()
            let contenders = 8
            let rounds = 4
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<contenders {
                    let session = try await h.openSession().id
                    group.addTask {
                        for _ in 0..<rounds {
                            let grant = try await locks.acquire("m", session: session, wait: .seconds(60))
                            try checker.enter(grant.entry.token)
                            try await Task.sleep(nanoseconds: UInt64.random(in: 0...3_000_000))
                            checker.leave()
                            try await locks.release("m", token: grant.entry.token)
                            try await Task.sleep(nanoseconds: UInt64.random(in: 0...2_000_000))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(checker.grants == contenders * rounds)
            let state = try await locks.state("m")
            #expect(state.holder == nil && state.waiting.isEmpty, "every contender left the queue")
        }
    }

    @Test("acquire and release cycles keep working while the emptied lock node is swept as a container",
          arguments: ConformanceBackends.all.filter { $0.capabilities.cleanupWithinSeconds != nil })
    func cyclesAcrossContainerSweeps(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "lock-sweep") { h in
            let locks = try locks(h)
            let session = try await h.openSession().id
            // Each release empties the lock's container; a sweep may remove it between a
            // release and the next acquire, and that create must make it again.
            let until = ContinuousClock.now + .seconds(h.capabilities.cleanupWithinSeconds! + 1)
            var cycles = 0
            var last: Int64 = 0
            while ContinuousClock.now < until {
                let grant = try await locks.acquire("sweep", session: session, wait: .zero)
                #expect(grant.entry.token > last)
                last = grant.entry.token
                try await locks.release("sweep", token: grant.entry.token)
                cycles += 1
            }
            #expect(cycles > 10)
            // Left empty, the container is swept; the next acquire makes it again.
            let swept = try await h.poll(timeout: h.capabilities.cleanupWithinSeconds! + 5) {
                try await !h.exists(try h.path("locks/sweep"))
            }
            #expect(swept, "the emptied lock node was swept")
            let grant = try await locks.acquire("sweep", session: session, wait: .zero)
            #expect(grant.entry.token > last)
            try await locks.release("sweep", token: grant.entry.token)
        }
    }

    @Test("a wait that ends leaves the queue: 409 with the holder and position, no orphan", arguments: ConformanceBackends.all)
    func timeoutLeavesNoOrphan(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "lock-timeout") { h in
            let locks = try locks(h)
            let holder = try await h.openSession().id
            let waiter = try await h.openSession().id
            let grant = try await locks.acquire("t", session: holder, wait: .zero)
            do {
                _ = try await locks.acquire("t", session: waiter, wait: .milliseconds(200))
                Issue.record("a held lock was granted")
            } catch RecipeError.lockHeld(let lock, let current, let position) {
                #expect(lock == "t")
                #expect(current?.token == grant.entry.token)
                #expect(current?.session == holder)
                #expect(position == 1)
            }
            let state = try await locks.state("t")
            #expect(state.holder?.token == grant.entry.token)
            #expect(state.waiting.isEmpty)
            // The same session acquiring again gets the same grant (a retried request).
            #expect(try await locks.acquire("t", session: holder, wait: .zero).entry.token == grant.entry.token)
        }
    }

    @Test("a cancelled waiter (its client went away) leaves the queue", arguments: ConformanceBackends.all)
    func cancelledWaiterLeaves(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "lock-cancel") { h in
            let locks = try locks(h)
            let holder = try await h.openSession().id
            let waiter = try await h.openSession().id
            let grant = try await locks.acquire("c", session: holder, wait: .zero)
            let task = Task { try await locks.acquire("c", session: waiter, wait: .milliseconds(30_000)) }
            try await settles { try await locks.state("c").waiting.count == 1 }
            task.cancel()
            _ = await task.result
            try await settles { try await locks.state("c").waiting.isEmpty }
            try await locks.release("c", token: grant.entry.token)
            #expect(try await locks.state("c").holder == nil)
        }
    }

    @Test("a session that ends releases its lock to the next waiter, and the grant reports it lost",
          arguments: ConformanceBackends.all)
    func sessionEndReleases(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "lock-session") { h in
            let locks = try locks(h)
            let holder = try await h.openSession().id
            let waiter = try await h.openSession().id
            let first = try await locks.acquire("s", session: holder, wait: .zero)
            let second = Task { try await locks.acquire("s", session: waiter, wait: .milliseconds(30_000)) }
            try await settles { try await locks.state("s").waiting.count == 1 }
            try await h.backend.closeSession(holder)
            let granted = try await second.value
            #expect(granted.entry.token > first.entry.token)
            #expect(await locks.lost(by: holder) == [Locks.LockToken(lock: "s", token: first.entry.token)])
            #expect(await locks.lost(by: holder).isEmpty, "reported once")
            #expect(await locks.lost(by: waiter).isEmpty)
        }
    }

    @Test("the fencing check passes for the holder and fails once the lock moved on", arguments: ConformanceBackends.all)
    func fencing(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "lock-fence") { h in
            let locks = try locks(h)
            let session = try await h.openSession().id
            let data = try h.path("data")
            try await h.create(data)
            let grant = try await locks.acquire("f", session: session, wait: .zero)
            let check = try await locks.fencingCheck("f", token: grant.entry.token)
            try await h.commit([check, .setData(path: data, data: bytes("x"), version: -1)])
            try await locks.release("f", token: grant.entry.token)
            let next = try await locks.acquire("f", session: session, wait: .zero)
            #expect(next.entry.token > grant.entry.token)
            await #expect(throws: RecipeError.self) { _ = try await locks.fencingCheck("f", token: grant.entry.token) }
            // A check made before the release fails inside the multi: the write is not applied.
            let stale = try await locks.fencingCheck("f", token: next.entry.token)
            try await locks.release("f", token: next.entry.token)
            do throws(MultiFailure) {
                _ = try await h.backend.commit([stale, .setData(path: data, data: bytes("y"), version: -1)], session: nil)
                Issue.record("a write fenced by a released token was applied")
            } catch {
                #expect(error.index == 0)
            }
            #expect(try await h.backend.readAny(data, children: false).node?.data == bytes("x"))
        }
    }

    @Test("an election: first candidate leads, the rest wait in order, resigning hands over", arguments: ConformanceBackends.all)
    func election(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "election") { h in
            let elections = Elections(backend: h.backend, waiters: h.changes.waiters, root: try h.path("elections"))
            let a = try await h.openSession().id
            let b = try await h.openSession().id
            let first = try await elections.campaign("e", session: a, value: bytes("a"), wait: .zero)
            #expect(first.position == 0)
            let second = try await elections.campaign("e", session: b, value: bytes("b"), wait: .milliseconds(100))
            #expect(second.position == 1)
            #expect(second.leader?.data == bytes("a"))
            // Campaigning again continues the same candidacy.
            #expect(try await elections.campaign("e", session: b, value: bytes("b"), wait: .zero).candidate.token == second.candidate.token)
            let state = try await elections.state("e")
            #expect(state.leader?.data == bytes("a") && state.candidates == 2)
            let waiting = Task { try await elections.campaign("e", session: b, value: bytes("b"), wait: .milliseconds(30_000)) }
            try await elections.resign("e", token: first.candidate.token)
            #expect(try await waiting.value.position == 0)
            #expect(try await elections.state("e").leader?.data == bytes("b"))
            await #expect(throws: RecipeError.self) { try await elections.resign("e", token: first.candidate.token) }
        }
    }

    @Test("a registration is listed, heals after deletion while its session lives, and goes with it",
          arguments: ConformanceBackends.all)
    func registration(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "registry") { h in
            let registry = ServiceRegistry(backend: h.backend, root: try h.path("services"))
            let feed = HealingFeed(registry)
            let session = try await h.openSession().id
            let instance = ServiceInstance(name: "api", id: "i1", address: "10.0.0.1", port: 80, sslPort: nil,
                payload: .object(JSONObject([("zone", .string("eu"))])), registrationTimeUTC: 1)
            _ = try await registry.register(instance, session: session)
            #expect(try await registry.list("api").instances == [instance])
            #expect(try await registry.names().names == ["api"])
            let path = try h.path("services/api/i1")
            try await h.delete(path)
            await feed.deliver(h.changes)
            try await settles { try await h.backend.readAny(path, children: false).node != nil }
            try await h.backend.closeSession(session)
            await feed.deliver(h.changes)
            try await settles { try await registry.list("api").instances.isEmpty }
        }
    }
}

/// Passes the harness's recorded batches to a registry (the harness owns the change sink).
actor HealingFeed {
    let registry: ServiceRegistry
    var delivered = 0

    init(_ registry: ServiceRegistry) { self.registry = registry }

    func deliver(_ changes: ChangeRecorder) async {
        // The batches of the writes just made may still be on their way.
        try? await Task.sleep(nanoseconds: 300_000_000)
        let batches = changes.batches
        for batch in batches.dropFirst(delivered) { registry.observe(batch) }
        delivered = batches.count
    }
}

/// Records lock grants and fails if two overlap or a token does not increase.
final class MutexChecker: Sendable {
    private let state = Mutex<(holding: Bool, last: Int64, grants: Int)>((false, 0, 0))

    func enter(_ token: Int64) throws {
        try state.withLock { s in
            if s.holding { throw ConformanceFailure("two holders at once (token \(token))") }
            if token <= s.last { throw ConformanceFailure("token \(token) after \(s.last)") }
            s = (true, token, s.grants + 1)
        }
    }

    func leave() { state.withLock { $0.holding = false } }

    var grants: Int { state.withLock { $0.grants } }
}

/// Polls an asynchronous `condition` for up to 10 s.
func settles(_ condition: () async throws -> Bool) async throws {
    for _ in 0..<200 {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    throw ConformanceFailure("condition not met within 10 s")
}
