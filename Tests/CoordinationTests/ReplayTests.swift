import Coordination
import Testing

@Suite("Replay determinism")
struct ReplayTests {
    static let workload = Workload(seed: 0xC0FFEE, steps: 1000)

    @Test func theWorkloadCoversEveryShape() {
        var kinds: Set<String> = []
        var failures: Set<String> = []
        for entry in Self.workload.log {
            switch entry.transaction {
            case .operations(let ops, _): kinds.insert(ops.count == 1 ? "single" : "multi")
            case .createSession: kinds.insert("createSession")
            case .closeSession: kinds.insert("closeSession")
            }
            if case .failure(let failure) = entry.outcome.result { failures.insert(failure.error.slug) }
        }
        #expect(kinds == ["single", "multi", "createSession", "closeSession"])
        #expect(failures.isSuperset(of: [
            "no-node", "node-exists", "bad-version", "not-empty", "bad-arguments", "session-expired",
        ]))
    }

    @Test func applyingTheSameLogTwiceGivesTheSameBytes() {
        var first = DataTree()
        var second = DataTree()
        for entry in Self.workload.log {
            let a = first.apply(entry.transaction, zxid: entry.zxid, time: entry.time)
            let b = second.apply(entry.transaction, zxid: entry.zxid, time: entry.time)
            #expect(a == b)
            #expect(a == entry.outcome)
        }
        #expect(first.snapshot() == second.snapshot())
        #expect(first.snapshot() == Self.workload.tree.snapshot())
    }

    @Test func replayingOnlyTheLoggedSuccessesThroughTheCodecGivesTheSameBytes() throws {
        // A store logs only what succeeded; failures changed nothing, so skipping them is exact.
        var replayed = DataTree()
        for entry in Self.workload.log {
            guard case .success = entry.outcome.result else { continue }
            let record = entry.transaction.encode()
            let outcome = replayed.apply(try Transaction.decode(record), zxid: entry.zxid, time: entry.time)
            #expect(outcome == entry.outcome)
        }
        #expect(replayed.snapshot() == Self.workload.tree.snapshot())
        #expect(replayed.lastZxid == Self.workload.tree.lastZxid)
    }

    @Test(arguments: [0, 1, 250, 777, 999])
    func aSnapshotPlusTheRestOfTheLogGivesTheSameBytes(_ split: Int) throws {
        var tree = DataTree()
        let log = Self.workload.log
        let cut = min(split, log.count)
        for entry in log[..<cut] { _ = tree.apply(entry.transaction, zxid: entry.zxid, time: entry.time) }
        var recovered = try DataTree(snapshot: tree.snapshot())
        for entry in log[cut...] { _ = recovered.apply(entry.transaction, zxid: entry.zxid, time: entry.time) }
        #expect(recovered.snapshot() == Self.workload.tree.snapshot())
    }

    @Test func differentSeedsGiveDifferentTrees() {
        #expect(Workload(seed: 1, steps: 200).tree.snapshot() != Workload(seed: 2, steps: 200).tree.snapshot())
    }

    @Test func aStaleZxidIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            var tree = DataTree()
            _ = tree.apply(.closeSession(id: 1), zxid: 5, time: 0)
            _ = tree.apply(.closeSession(id: 1), zxid: 5, time: 0)
        }
        await #expect(processExitsWith: .failure) {
            var tree = DataTree()
            _ = tree.apply(.closeSession(id: 1), zxid: 0, time: 0)
        }
    }
}
