import Coordination
import Testing

@Suite("DataTree: multi")
struct MultiTests {
    /// A tree with a session, an ephemeral, a container, a TTL node and a sequential child, so
    /// that a rollback has every index to restore.
    private func seeded() -> Driver {
        var d = Driver()
        d.openSession(1)
        d.mkdirs("/m", "/m/x", "/m/y")
        d.succeed(.create(path: path("/m/e"), data: [], mode: .ephemeral), session: 1)
        d.succeed(.create(path: path("/m/c"), data: [], mode: .container))
        d.succeed(.create(path: path("/m/t"), data: [], mode: .ttl, ttlMs: 10))
        return d
    }

    /// Every operation kind, then one that fails at `failing`.
    private func operations(failingAt failing: Int) -> [Operation] {
        var ops: [Operation] = [
            .create(path: prefix("/m/s-"), data: [1], mode: .persistentSequential),
            .create(path: path("/m/e2"), data: [], mode: .ephemeral),
            .create(path: path("/m/c/child"), data: [], mode: .persistent),
            .create(path: path("/m/t2"), data: [], mode: .ttl, ttlMs: 50),
            .setData(path: path("/m/x"), data: [2], version: 0),
            .delete(path: path("/m/y"), version: 0),
            .delete(path: path("/m/e"), version: -1),
            .check(path: path("/m"), version: 0),
        ]
        let failures: [Operation] = [
            .create(path: path("/m/x"), data: [], mode: .persistent),
            .create(path: path("/m/e/z"), data: [], mode: .persistent),
            .setData(path: path("/m/c"), data: [], version: 7),
            .delete(path: path("/m/c"), version: -1),
            .delete(path: path("/m/gone"), version: -1),
            .check(path: path("/m/x"), version: 0),
            .create(path: path("/m/t3"), data: [], mode: .ttl, ttlMs: 0),
            .delete(path: path("/m/y"), version: -1),
        ]
        ops.insert(failures[failing], at: failing)
        return ops
    }

    private static let expectedErrors: [CoordinationError] = [
        .nodeExists(path("/m/x")),
        .noChildrenForEphemerals(path("/m/e/z")),
        .badVersion(path("/m/c")),
        .notEmpty(path("/m/c")),
        .noNode(path("/m/gone")),
        .badVersion(path("/m/x")),
        .badArguments("a ttl node needs a TTL of 1...1099511627775 ms, not 0"),
        .noNode(path("/m/y")),
    ]

    @Test(arguments: 0..<8)
    func aFailureAtAnyIndexRollsBackEverything(_ failing: Int) {
        var d = seeded()
        let before = d.tree
        let beforeBytes = d.tree.snapshot()
        let ops = operations(failingAt: failing)
        #expect(ops.count == 9)
        let outcome = d.run(ops, session: 1)
        #expect(outcome.result == .failure(MultiFailure(index: failing, error: Self.expectedErrors[failing])))
        #expect(outcome.events == [])
        #expect(d.tree == before)
        #expect(d.tree.snapshot() == beforeBytes)
        #expect(d.tree.ephemerals(of: 1) == [path("/m/e")])
        #expect(d.tree.expiredTTLNodes(now: 1_000_000).count == 1)
        #expect(d.tree.children(of: path("/m"))?.count == 5)
    }

    @Test func theSameOperationsSucceedWithoutTheFailure() {
        var d = seeded()  // 7 transactions: zxid 8 is next, at time 1070
        var ops = operations(failingAt: 0)
        ops.removeFirst()
        let outcome = d.run(ops, session: 1)
        guard case .success(let results) = outcome.result else {
            Issue.record("\(outcome.result)")
            return
        }
        #expect(results.count == 8)
        #expect(results[0] == .created(path: path("/m/s-0000000005"), stat: Stat(
            czxid: 8, mzxid: 8, ctime: 1070, mtime: 1070, version: 0, cversion: 0, aversion: 0,
            ephemeralOwner: 0, dataLength: 1, numChildren: 0, pzxid: 8)))
        #expect(Array(results[4...]) == [
            .setData(stat: Stat(
                czxid: 3, mzxid: 8, ctime: 1020, mtime: 1070, version: 1, cversion: 0, aversion: 0,
                ephemeralOwner: 0, dataLength: 1, numChildren: 0, pzxid: 3)),
            .deleted, .deleted, .checked,
        ])
        #expect(d.tree.children(of: path("/m")) == ["c", "e2", "s-0000000005", "t", "t2", "x"])
        #expect(d.tree.ephemerals(of: 1) == [path("/m/e2")])
    }

    @Test func laterOperationsSeeEarlierOnes() {
        var d = Driver()
        let results = d.succeed(
            .create(path: path("/a"), data: [], mode: .persistent),
            .create(path: path("/a/b"), data: bytes("x"), mode: .persistent),
            .setData(path: path("/a/b"), data: bytes("yz"), version: 0),
            .check(path: path("/a/b"), version: 1),
            .create(path: prefix("/a/"), data: [], mode: .persistentSequential),
            .create(path: prefix("/a/"), data: [], mode: .persistentSequential),
            .delete(path: path("/a/b"), version: 1))
        let stat = { (version: Int32, length: Int32, cversion: Int32, children: Int32) in
            Stat(czxid: 1, mzxid: 1, ctime: 1000, mtime: 1000, version: version, cversion: cversion, aversion: 0,
                 ephemeralOwner: 0, dataLength: length, numChildren: children, pzxid: 1)
        }
        #expect(results == [
            .created(path: path("/a"), stat: stat(0, 0, 0, 0)),
            .created(path: path("/a/b"), stat: stat(0, 1, 0, 0)),
            .setData(stat: stat(1, 2, 0, 0)),
            .checked,
            .created(path: path("/a/0000000001"), stat: stat(0, 0, 0, 0)),
            .created(path: path("/a/0000000002"), stat: stat(0, 0, 0, 0)),
            .deleted,
        ])
        #expect(d.tree.children(of: path("/a")) == ["0000000001", "0000000002"])
        #expect(d.stat("/a")?.cversion == 4)
        #expect(d.tree.lastZxid == 1)
    }

    @Test func aNodeCreatedAndDeletedInOneMultiLeavesOnlyItsMarks() {
        var d = Driver()
        d.mkdirs("/p")
        d.succeed(
            .create(path: path("/p/tmp"), data: [], mode: .persistent),
            .delete(path: path("/p/tmp"), version: 0))
        #expect(d.tree.children(of: path("/p")) == [])
        #expect(d.stat("/p")?.cversion == 2)
        #expect(d.stat("/p")?.pzxid == 2)
    }

    @Test func anEmptyMultiSucceeds() {
        var d = Driver()
        let outcome = d.run([])
        #expect(outcome == TransactionOutcome(zxid: 1, result: .success([]), events: []))
        #expect(d.tree.lastZxid == 1)
    }

    @Test func theSessionCheckFailsTheFirstOperation() {
        var d = Driver()
        let failure = d.fail(
            .create(path: path("/a"), data: [], mode: .persistent), .check(path: .root, version: -1), session: 77)
        #expect(failure == MultiFailure(index: 0, error: .sessionExpired(77)))
    }
}
