import Coordination
import Testing

private let reserved = " is reserved: 0, 0x8000000000000000 and ids with a high byte of 0xff encode other node types"

@Suite("DataTree: sessions")
struct SessionTests {
    @Test func createSessionAddsToTheTable() {
        var d = Driver()
        let outcome = d.apply(.createSession(id: 0x10, timeoutMs: 30_000))
        #expect(outcome.result == .success([]))
        #expect(outcome.events == [])
        #expect(d.tree.sessions == [0x10: 30_000])
        #expect(d.tree.ephemerals(of: 0x10) == [])
        #expect(d.tree.lastZxid == 1)
    }

    @Test(arguments: [
        (Int64(0), Int64(1000), "session id 0x0" + reserved),
        (Int64.min, 1000, "session id 0x8000000000000000" + reserved),
        (-1, 1000, "session id 0xffffffffffffffff" + reserved),
        (5, 0, "session timeout must be positive, not 0 ms"),
        (5, -10, "session timeout must be positive, not -10 ms"),
    ] as [(Int64, Int64, String)])
    func badSessionsAreRefused(_ id: Int64, timeoutMs: Int64, message: String) {
        var d = Driver()
        let outcome = d.apply(.createSession(id: id, timeoutMs: timeoutMs))
        #expect(outcome.result == .failure(MultiFailure(index: 0, error: .badArguments(message))))
        #expect(d.tree.sessions == [:])
        #expect(d.tree.lastZxid == 0)
    }

    @Test func aSessionCannotBeCreatedTwice() {
        var d = Driver()
        d.openSession(0x10, timeoutMs: 5000)
        let outcome = d.apply(.createSession(id: 0x10, timeoutMs: 9000))
        #expect(outcome.result == .failure(MultiFailure(index: 0, error: .badArguments("session 0x10 already exists"))))
        #expect(d.tree.sessions == [0x10: 5000])
    }

    @Test func closeSessionDeletesItsEphemeralsInOneStep() {
        var d = Driver()
        d.openSession(1)  // zxid 1
        d.openSession(2)  // zxid 2
        d.mkdirs("/svc")  // zxid 3
        d.succeed(
            .create(path: path("/svc/b"), data: [], mode: .ephemeral),
            .create(path: path("/svc/a"), data: [], mode: .ephemeral),
            .create(path: path("/lock"), data: [], mode: .ephemeral),
            session: 1)  // zxid 4
        d.succeed(.create(path: path("/svc/other"), data: [], mode: .ephemeral), session: 2)  // zxid 5

        let outcome = d.apply(.closeSession(id: 1))  // zxid 6
        #expect(outcome.result == .success([]))
        #expect(
            outcome.events == [
                WatchEvent(kind: .deleted, path: path("/lock"), zxid: 6),
                WatchEvent(kind: .childrenChanged, path: .root, zxid: 6),
                WatchEvent(kind: .deleted, path: path("/svc/a"), zxid: 6),
                WatchEvent(kind: .childrenChanged, path: path("/svc"), zxid: 6),
                WatchEvent(kind: .deleted, path: path("/svc/b"), zxid: 6),
                WatchEvent(kind: .childrenChanged, path: path("/svc"), zxid: 6),
            ])
        #expect(d.tree.sessions == [2: 30_000])
        #expect(d.tree.ephemerals(of: 1) == nil)
        #expect(d.tree.ephemerals(of: 2) == [path("/svc/other")])
        #expect(d.tree.children(of: path("/svc")) == ["other"])
        #expect(d.tree.children(of: .root) == ["svc"])
        #expect(d.stat("/svc")?.pzxid == 6)
        #expect(d.stat("/svc")?.cversion == 5)  // 3 creations, 2 deletions
        #expect(d.stat("/")?.pzxid == 6)
        #expect(d.tree.lastZxid == 6)
    }

    @Test func aClosedSessionCannotCreateEphemerals() {
        var d = Driver()
        d.openSession(1)
        d.apply(.closeSession(id: 1))
        #expect(error(d.fail(.create(path: path("/e"), data: [], mode: .ephemeral), session: 1)) == .sessionExpired(1))
    }

    @Test func closingAnUnknownSessionIsANoOpSuccess() {
        var d = Driver()
        d.mkdirs("/a")
        let before = d.tree.snapshot()
        let outcome = d.apply(.closeSession(id: 0x99))
        #expect(outcome == TransactionOutcome(zxid: 2, result: .success([]), events: []))
        #expect(d.tree.lastZxid == 2)
        // Only lastZxid moved: the snapshots differ in exactly those 8 bytes.
        let after = d.tree.snapshot()
        #expect(after.count == before.count)
        #expect(zip(before, after).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset) == [12])
    }

    @Test func aSessionWithoutEphemeralsClosesCleanly() {
        var d = Driver()
        d.openSession(4)
        let outcome = d.apply(.closeSession(id: 4))
        #expect(outcome.events == [])
        #expect(d.tree.sessions == [:])
    }
}
