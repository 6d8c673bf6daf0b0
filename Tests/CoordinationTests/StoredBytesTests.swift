import Coordination
import Testing

/// `storedBytes`, the measure a store's quota uses, is the snapshot's exact length, kept by
/// every change, and `apply`'s size limit refuses only what grows.
@Suite("DataTree stored bytes and size limit")
struct StoredBytesTests {
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func storedBytesIsTheSnapshotLengthThroughARandomWorkload(seed: UInt64) throws {
        let workload = Workload(seed: seed, steps: 400)
        var tree = DataTree()
        #expect(tree.storedBytes == tree.snapshot().count)
        for entry in workload.log {
            _ = tree.apply(entry.transaction, zxid: entry.zxid, time: entry.time)
            #expect(tree.storedBytes == tree.snapshot().count, "after zxid \(entry.zxid)")
        }
        let restored = try DataTree(snapshot: tree.snapshot())
        #expect(restored.storedBytes == tree.storedBytes)
    }

    @Test func aLimitRefusesGrowthOnlyAndLeavesNothingBehind() {
        var d = Driver()
        d.mkdirs("/a")
        d.succeed(.setData(path: path("/a"), data: [UInt8](repeating: 1, count: 100), version: -1))
        let limit = d.tree.storedBytes
        let before = d.tree
        func apply(_ operations: [Operation], session: Int64? = nil) -> TransactionOutcome {
            d.zxid += 1
            d.time += 10
            return d.tree.apply(.operations(operations, session: session), zxid: d.zxid, time: d.time, sizeLimit: limit)
        }
        // Growing: a create, larger data, a multi that grows overall.
        for operations: [Operation] in [
            [.create(path: path("/b"), data: [], mode: .persistent)],
            [.setData(path: path("/a"), data: [UInt8](repeating: 1, count: 101), version: -1)],
            [.create(path: path("/a/s-"), data: [], mode: .persistentSequential),
                .setData(path: path("/a"), data: [1], version: -1),
                .create(path: path("/c"), data: [UInt8](repeating: 1, count: 200), mode: .persistent)],
        ] {
            let outcome = apply(operations)
            guard case .failure(let failure) = outcome.result else {
                Issue.record("\(operations) passed the limit")
                continue
            }
            #expect(failure.index == -1)
            guard case .quotaExceeded(let size, let quota) = failure.error else {
                Issue.record("\(failure)")
                continue
            }
            #expect(size > limit && quota == limit)
            #expect(outcome.events.isEmpty)
            #expect(d.tree == before, "a refused transaction changes nothing, sequence counters included")
        }
        #expect(d.tree.apply(.createSession(id: 7, timeoutMs: 1000), zxid: d.zxid + 1, time: 0, sizeLimit: limit).result
            == .failure(MultiFailure(index: -1, error: .quotaExceeded(size: limit + 16, quota: limit))))
        // Same size and shrinking pass, and so does growth under a limit above the tree.
        #expect((try? apply([.setData(path: path("/a"), data: [UInt8](repeating: 2, count: 100), version: -1)]).result.get()) != nil)
        #expect((try? apply([.setData(path: path("/a"), data: [], version: -1)]).result.get()) != nil)
        #expect((try? apply([.create(path: path("/b"), data: [], mode: .persistent)]).result.get()) != nil)
        #expect((try? apply([.delete(path: path("/b"), version: -1), .delete(path: path("/a"), version: -1)]).result.get()) != nil)
    }
}
