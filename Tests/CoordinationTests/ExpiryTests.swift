import Coordination
import Testing

@Suite("DataTree: container and TTL expiry")
struct ExpiryTests {
    @Test func aNewEmptyContainerIsSpared() {
        var d = Driver()
        d.succeed(.create(path: path("/c"), data: [], mode: .container))
        #expect(d.tree.expiredContainers() == [])
    }

    @Test func aContainerGoesOnceItsLastChildGoes() {
        var d = Driver()
        d.succeed(.create(path: path("/c"), data: [], mode: .container))
        d.mkdirs("/c/a")
        #expect(d.tree.expiredContainers() == [])
        d.succeed(.delete(path: path("/c/a"), version: -1))
        d.succeed(.setData(path: path("/c"), data: [1], version: -1))
        let expired = d.tree.expiredContainers()
        #expect(expired == [.operations([.delete(path: path("/c"), version: 1)], session: nil)])
        let outcome = d.apply(expired[0])  // zxid 5
        #expect(outcome.result == .success([.deleted]))
        #expect(outcome.events == [
            WatchEvent(kind: .deleted, path: path("/c"), zxid: 5),
            WatchEvent(kind: .childrenChanged, path: .root, zxid: 5),
        ])
        #expect(d.tree.expiredContainers() == [])
    }

    @Test func nestedContainersGoOneSweepAtATime() {
        var d = Driver()
        d.succeed(.create(path: path("/outer"), data: [], mode: .container))
        d.succeed(.create(path: path("/outer/inner"), data: [], mode: .container))
        d.succeed(.create(path: path("/outer/inner/x"), data: [], mode: .persistent))
        d.succeed(.delete(path: path("/outer/inner/x"), version: -1))
        #expect(d.tree.expiredContainers() == [.operations([.delete(path: path("/outer/inner"), version: 0)], session: nil)])
        for transaction in d.tree.expiredContainers() { d.apply(transaction) }
        #expect(d.tree.expiredContainers() == [.operations([.delete(path: path("/outer"), version: 0)], session: nil)])
        for transaction in d.tree.expiredContainers() { d.apply(transaction) }
        #expect(d.tree.children(of: .root) == [])
    }

    @Test func persistentAndEphemeralNodesNeverExpire() {
        var d = Driver()
        d.openSession(1)
        d.mkdirs("/p", "/p/x")
        d.succeed(.delete(path: path("/p/x"), version: -1))
        d.succeed(.create(path: path("/e"), data: [], mode: .ephemeral), session: 1)
        #expect(d.tree.expiredContainers() == [])
        #expect(d.tree.expiredTTLNodes(now: .max) == [])
    }

    @Test func aTTLNodeLivesForExactlyItsTTL() {
        var d = Driver()
        d.succeed(.create(path: path("/t"), data: [], mode: .ttl, ttlMs: 100))  // mtime 1000
        #expect(d.tree.expiredTTLNodes(now: 1000) == [])
        #expect(d.tree.expiredTTLNodes(now: 1100) == [])
        #expect(d.tree.expiredTTLNodes(now: 1101) == [.operations([.delete(path: path("/t"), version: 0)], session: nil)])
    }

    @Test func aDataChangeRestartsTheTTL() {
        var d = Driver()
        d.succeed(.create(path: path("/t"), data: [], mode: .ttl, ttlMs: 100))  // mtime 1000
        d.succeed(.setData(path: path("/t"), data: [1], version: 0))  // mtime 1010
        #expect(d.tree.expiredTTLNodes(now: 1101) == [])
        #expect(d.tree.expiredTTLNodes(now: 1111) == [.operations([.delete(path: path("/t"), version: 1)], session: nil)])
    }

    @Test func aTTLNodeWithChildrenStays() {
        var d = Driver()
        d.succeed(.create(path: path("/t"), data: [], mode: .ttl, ttlMs: 100))
        d.mkdirs("/t/x")
        #expect(d.tree.expiredTTLNodes(now: 5000) == [])
        d.succeed(.delete(path: path("/t/x"), version: -1))
        #expect(d.tree.expiredTTLNodes(now: 5000) == [.operations([.delete(path: path("/t"), version: 0)], session: nil)])
    }

    @Test func aSweepThatRacesARefreshFailsHarmlessly() {
        var d = Driver()
        d.succeed(.create(path: path("/t"), data: [], mode: .ttl, ttlMs: 5))
        let expired = d.tree.expiredTTLNodes(now: 2000)
        #expect(expired.count == 1)
        d.succeed(.setData(path: path("/t"), data: [1], version: -1))
        let outcome = d.apply(expired[0])
        #expect(outcome.result == .failure(MultiFailure(index: 0, error: .badVersion(path("/t")))))
        #expect(d.tree.node(at: path("/t")) != nil)
    }

    @Test func sweepsComeInPathOrder() {
        var d = Driver()
        for name in ["/z", "/b", "/m"] { d.succeed(.create(path: path(name), data: [], mode: .ttl, ttlMs: 1)) }
        #expect(d.tree.expiredTTLNodes(now: 10_000).map { transaction -> String in
            guard case .operations(let ops, _) = transaction else { return "" }
            return ops[0].path.string
        } == ["/b", "/m", "/z"])
    }
}
