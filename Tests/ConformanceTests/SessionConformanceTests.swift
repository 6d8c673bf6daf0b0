import Coordination
import TestSupport
import Testing

/// Sessions: what they own, and how their ephemerals go on close and on expiry.
@Suite("Conformance: sessions")
struct SessionConformanceTests {
    @Test("openSession, session() lists the session's ephemerals only, sorted", arguments: ConformanceBackends.all)
    func describeSession(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "session-describe") { h in
            let one = try await h.openSession()
            let two = try await h.openSession()
            #expect(one.id != two.id)
            for info in [one, two] {
                #expect(EphemeralType.isValidSessionID(info.id), "\(info.id) cannot be mistaken for another node type")
                #expect(h.capabilities.sessionTimeouts.contains(info.timeoutMs))
                #expect(info.expiresInMs > 0 && info.expiresInMs <= info.timeoutMs)
                let described = try await h.backend.session(info.id)
                #expect(described.id == info.id)
                #expect(described.timeoutMs == info.timeoutMs)
                #expect(described.expiresInMs > 0 && described.expiresInMs <= described.timeoutMs)
                #expect(described.ephemerals == [])
            }

            try await h.create(try h.path("dir"))
            try await h.create(try h.path("persistent"), session: one.id)
            let z = try await h.create(try h.path("z"), mode: .ephemeral, session: one.id).path
            let a = try await h.create(try h.path("dir/a"), mode: .ephemeral, session: one.id).path
            let s = try await h.create(try h.prefix("dir/s-"), mode: .ephemeralSequential, session: one.id).path
            let other = try await h.create(try h.path("other"), mode: .ephemeral, session: two.id).path
            #expect(try await h.backend.session(one.id).ephemerals == [a, s, z].sorted())
            #expect(try await h.backend.session(two.id).ephemerals == [other])

            // An ephemeral deleted by hand leaves the list; its parent counts the deletion.
            try await h.delete(a)
            #expect(try await h.backend.session(one.id).ephemerals == [s, z].sorted())
            // Anyone may delete or change another session's ephemeral.
            try await h.commit([.setData(path: other, data: [1], version: 0)], session: one.id)
            try await h.commit([.delete(path: other, version: 1)], session: one.id)
            #expect(try await h.backend.session(two.id).ephemerals == [])
            try await h.backend.closeSession(one.id)
            try await h.backend.closeSession(two.id)
        }
    }

    @Test("closeSession deletes every ephemeral in one step and only the session's",
          arguments: ConformanceBackends.all)
    func closeDeletesEphemerals(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "session-close") { h in
            let doomed = try await h.openSession()
            let survivor = try await h.openSession()
            let dir = try h.path("dir")
            try await h.create(dir)
            let kept = try h.path("persistent")
            try await h.create(kept, session: doomed.id)
            var owned: [ZNodePath] = []
            owned.append(try await h.create(try h.path("e1"), mode: .ephemeral, session: doomed.id).path)
            owned.append(try await h.create(try h.path("dir/e2"), mode: .ephemeral, session: doomed.id).path)
            owned.append(try await h.create(try h.prefix("dir/s-"), mode: .ephemeralSequential, session: doomed.id).path)
            let theirs = try await h.create(try h.path("dir/theirs"), mode: .ephemeral, session: survivor.id)
            let baseBefore = try await h.stat(h.base)
            let dirBefore = try await h.stat(dir)

            try await h.backend.closeSession(doomed.id)
            for path in owned { #expect(try await !h.exists(path), "\(path) went with its session") }
            #expect(try await h.exists(kept), "a persistent node created under the session stays")
            #expect(try await h.exists(theirs.path), "another session's ephemeral stays")
            #expect(try await h.backend.session(survivor.id).ephemerals == [theirs.path])

            let baseAfter = try await h.stat(h.base)
            let dirAfter = try await h.stat(dir)
            #expect(baseAfter.numChildren == baseBefore.numChildren - 1)
            #expect(dirAfter.numChildren == dirBefore.numChildren - 2)
            #expect(baseAfter.cversion == baseBefore.cversion + 1)
            #expect(dirAfter.cversion == dirBefore.cversion + 2)
            #expect(baseAfter.pzxid > baseBefore.pzxid)
            #expect(baseAfter.pzxid == dirAfter.pzxid, "one transaction deleted them all")

            let closeZxid = dirAfter.pzxid
            let events = await h.events(from: theirs.zxid + 1, through: closeZxid)
            #expect(events.allSatisfy { $0.zxid == closeZxid })
            let deleted = events.filter { $0.kind == .deleted }.map(\.path)
            #expect(deleted.sorted() == owned.sorted(), "a deleted event for every ephemeral")
            for path in owned {
                let index = events.firstIndex { $0.kind == .deleted && $0.path == path }
                let parentAfter = index.map { events[($0 + 1)...].contains { $0.kind == .childrenChanged && $0.path == path.parent } }
                #expect(parentAfter == true, "\(path): deleted, then its parent's childrenChanged")
            }

            await #expect(throws: CoordinationError.sessionExpired(doomed.id)) { try await h.backend.session(doomed.id) }
            await h.expectFailure(
                [.create(path: try h.path("late"), data: [], mode: .ephemeral)], session: doomed.id, index: 0,
                .sessionExpired(doomed.id))
            try await h.backend.closeSession(survivor.id)
            #expect(try await !h.exists(theirs.path))
        }
    }

    @Test("ephemerals created while their session closes never outlive it", arguments: ConformanceBackends.all)
    func createsRacingClose(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "session-race") { h in
            let session = try await h.openSession()
            let count = 30
            let outcomes = try await withThrowingTaskGroup(of: (ZNodePath, Bool).self) { group in
                for i in 0..<count {
                    group.addTask {
                        let path = try h.path("e\(i)")
                        do {
                            _ = try await h.backend.commit([.create(path: path, data: [], mode: .ephemeral)], session: session.id)
                            return (path, true)
                        } catch {
                            #expect((error as? MultiFailure) == MultiFailure(index: 0, error: .sessionExpired(session.id)))
                            return (path, false)
                        }
                    }
                    if i == count / 2 {
                        group.addTask {
                            try await h.backend.closeSession(session.id)
                            return (h.base, true)
                        }
                    }
                }
                var outcomes: [(ZNodePath, Bool)] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(outcomes.count == count + 1)
            for (path, _) in outcomes where path != h.base {
                #expect(try await !h.exists(path), "\(path) outlived its closed session")
            }
            #expect(try await h.node(h.base)?.children == [])
            await #expect(throws: CoordinationError.sessionExpired(session.id)) { try await h.backend.session(session.id) }
        }
    }

    @Test("an unrenewed session expires after its timeout and its ephemerals vanish",
          arguments: ConformanceBackends.all)
    func expiry(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "session-expiry") { h in
            let keeper = try await h.openSession()
            let session = try await h.openShortSession()
            let opened = monotonicSeconds()
            let timeout = Double(session.timeoutMs) / 1000
            let e = try await h.create(try h.path("e"), mode: .ephemeral, session: session.id)
            let s = try await h.create(try h.prefix("s-"), mode: .ephemeralSequential, session: session.id)
            let k = try await h.create(try h.path("k"), mode: .ephemeral, session: keeper.id)

            let gone = try await h.poll(timeout: timeout + h.capabilities.expiryGraceSeconds) {
                try await !h.exists(e.path)
            }
            let lifetime = monotonicSeconds() - opened
            #expect(gone, "the session expired within its timeout plus \(h.capabilities.expiryGraceSeconds) s")
            #expect(lifetime >= timeout - 0.05, "the timeout is a lower bound: expired after \(lifetime) s")
            #expect(try await !h.exists(s.path))
            #expect(try await h.exists(k.path), "another live session's ephemeral stays")
            await #expect(throws: CoordinationError.sessionExpired(session.id)) { try await h.backend.session(session.id) }
            await #expect(throws: CoordinationError.sessionExpired(session.id)) {
                try await h.backend.renewSession(session.id)
            }
            await h.expectFailure(
                [.create(path: try h.path("late"), data: [], mode: .ephemeral)], session: session.id, index: 0,
                .sessionExpired(session.id))

            let deleted = await h.poll(timeout: 5) {
                Set(h.changes.events(under: h.base).filter { $0.kind == .deleted }.map(\.path)) == [e.path, s.path]
            }
            #expect(deleted, "deleted events for both ephemerals: \(h.changes.events(under: h.base))")
            let zxids = Set(h.changes.events(under: h.base).filter { $0.kind == .deleted }.map(\.zxid))
            #expect(zxids.count == 1, "expiry deletes the ephemerals in one transaction")
            #expect(try await h.read(e.path).index >= zxids.first ?? .max)
            try await h.backend.closeSession(keeper.id)
        }
    }

    /// Once a session reports expired, no write in its name succeeds, not even before the
    /// backend has cleaned up what it owned.
    @Test("a session that reports expired refuses writes at once", arguments: ConformanceBackends.all)
    func expiredRefusesAtOnce(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "session-expired-refuses") { h in
            let session = try await h.openShortSession()
            let timeout = Double(session.timeoutMs) / 1000
            let expired = await h.poll(timeout: timeout + h.capabilities.expiryGraceSeconds, every: 0.005) {
                do {
                    _ = try await h.backend.session(session.id)
                    return false
                } catch {
                    return true
                }
            }
            #expect(expired)
            await h.expectFailure(
                [.create(path: try h.path("late"), data: [], mode: .ephemeral)], session: session.id, index: 0,
                .sessionExpired(session.id))
            #expect(try await !h.exists(try h.path("late")))
        }
    }

    @Test("renewing keeps a session alive past its timeout", arguments: ConformanceBackends.all)
    func renew(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "session-renew") { h in
            // 3 s rather than the shortest: renewals every 250 ms of a 1 s lease fail on a
            // loaded two-core machine when one renewal is held up for 750 ms.
            let bounds = h.capabilities.sessionTimeouts
            let session = try await h.backend.openSession(timeoutMs: min(max(3_000, bounds.lowerBound), bounds.upperBound))
            let opened = monotonicSeconds()
            let timeout = Double(session.timeoutMs) / 1000
            let e = try await h.create(try h.path("e"), mode: .ephemeral, session: session.id)
            // Renew at a quarter of the timeout for twice the timeout.
            while monotonicSeconds() - opened < 2 * timeout {
                try await Task.sleep(for: .milliseconds(Int(session.timeoutMs / 4)))
                let renewed = try await h.backend.renewSession(session.id)
                #expect(renewed.id == session.id)
                #expect(renewed.timeoutMs == session.timeoutMs)
                #expect(renewed.expiresInMs > 0 && renewed.expiresInMs <= renewed.timeoutMs)
            }
            #expect(monotonicSeconds() - opened >= 2 * timeout)
            #expect(try await h.exists(e.path), "the renewed session's ephemeral outlived the timeout")
            #expect(try await h.backend.session(session.id).ephemerals == [e.path])
            #expect(try await h.stat(e.path).ephemeralOwner == session.id)
            try await h.backend.closeSession(session.id)
            #expect(try await !h.exists(e.path))
        }
    }
}
