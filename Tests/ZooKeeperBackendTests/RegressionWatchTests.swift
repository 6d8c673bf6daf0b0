import Coordination
import Testing
@testable import ZooKeeperBackend

/// The regression watch notices a node that the ensemble shows older than the gateway already
/// answered for it (committed transactions lost), and nothing else: not a member that is merely
/// behind, not a node deleted and made again.
@Suite("RegressionWatch")
struct RegressionWatchTests {
    let path = try! ZNodePath(validating: "/counter")
    let other = try! ZNodePath(validating: "/other")

    func stat(czxid: Int64 = 1, mzxid: Int64, version: Int32) -> Stat {
        Stat(czxid: czxid, mzxid: mzxid, ctime: 0, mtime: 0, version: version, cversion: 0, aversion: 0,
             ephemeralOwner: 0, dataLength: 1, numChildren: 0, pzxid: czxid)
    }

    /// zxid `counter` of epoch `epoch`, as ZooKeeper makes them.
    func zxid(_ epoch: Int64, _ counter: Int64) -> Int64 { epoch << 32 | counter }

    @Test("states moving forward are no regression, and each becomes the newest answer")
    func forward() {
        var watch = RegressionWatch()
        #expect(watch.observe(path, stat(mzxid: 5, version: 1), index: 5) == nil)
        #expect(watch.observe(path, stat(mzxid: 9, version: 2), index: 12) == nil)
        #expect(watch.observe(path, stat(mzxid: 9, version: 2), index: 20) == nil, "the same state read again")
        #expect(watch.newest[path] == .init(czxid: 1, mzxid: 9, version: 2))
    }

    @Test("an mzxid below the acknowledged one, from a state that must include it, is a regression")
    func mzxidBack() throws {
        var watch = RegressionWatch()
        _ = watch.observe(path, stat(mzxid: zxid(2, 480), version: 7400), index: zxid(2, 480))
        // The new leader's epoch is 3; the node shows a write from before the lost ones.
        let observed = watch.observe(path, stat(mzxid: zxid(2, 290), version: 5000), index: zxid(3, 4))
        let found = try #require(observed)
        #expect(found.path == path)
        #expect(found.acknowledged == .init(czxid: 1, mzxid: zxid(2, 480), version: 7400))
        #expect(found.seen == .init(czxid: 1, mzxid: zxid(2, 290), version: 5000))
        #expect(found.index == zxid(3, 4))
        #expect(watch.observe(path, stat(mzxid: zxid(2, 290), version: 5000), index: zxid(3, 9)) == nil,
                "reported once: the state seen becomes the newest answer")
    }

    @Test("a version below the acknowledged one on the same node is a regression, though its mzxid moved on")
    func versionBack() throws {
        var watch = RegressionWatch()
        _ = watch.observe(path, stat(mzxid: zxid(2, 480), version: 7400), index: zxid(2, 480))
        // After the truncation new writes gave the node a new-epoch mzxid, counting on from 5000.
        let observed = watch.observe(path, stat(mzxid: zxid(3, 40), version: 5001), index: zxid(3, 40))
        let found = try #require(observed)
        #expect(found.seen.version == 5001)
        #expect(found.acknowledged.version == 7400)
        #expect(watch.observe(path, stat(mzxid: zxid(3, 41), version: 5002), index: zxid(3, 41)) == nil)
    }

    @Test("a member behind the acknowledged state (a reconnect to a lagging follower) is no regression")
    func laggingMember() {
        var watch = RegressionWatch()
        _ = watch.observe(path, stat(mzxid: 50, version: 10), index: 50)
        #expect(watch.observe(path, stat(mzxid: 40, version: 8), index: 45) == nil)
        #expect(watch.newest[path]?.mzxid == 50, "the older state does not replace the answer")
        // Once that member has caught up past the answer, an older node is a regression.
        #expect(watch.observe(path, stat(mzxid: 40, version: 8), index: 50) != nil)
    }

    @Test("a node deleted and made again starts over at version 0 with a higher czxid: no regression")
    func recreated() {
        var watch = RegressionWatch()
        _ = watch.observe(path, stat(czxid: 1, mzxid: 30, version: 12), index: 30)
        #expect(watch.observe(path, stat(czxid: 40, mzxid: 40, version: 0), index: 41) == nil)
        #expect(watch.newest[path] == .init(czxid: 40, mzxid: 40, version: 0))
    }

    @Test("an earlier incarnation of the path coming back is a regression")
    func earlierIncarnation() {
        var watch = RegressionWatch()
        _ = watch.observe(path, stat(czxid: 40, mzxid: 40, version: 0), index: 40)
        #expect(watch.observe(path, stat(czxid: 1, mzxid: 60, version: 13), index: 60) != nil)
    }

    @Test("a wrapped (negative) version is compared by zxids alone")
    func wrappedVersion() {
        var watch = RegressionWatch()
        _ = watch.observe(path, stat(mzxid: 10, version: .max), index: 10)
        #expect(watch.observe(path, stat(mzxid: 11, version: .min), index: 11) == nil)
    }

    @Test("paths are independent, and memory stays within the capacity")
    func boundedMemory() {
        var watch = RegressionWatch(capacity: 2)
        _ = watch.observe(path, stat(mzxid: 10, version: 3), index: 10)
        #expect(watch.observe(other, stat(mzxid: 2, version: 0), index: 11) == nil, "another path's history")
        for i in 0..<10 {
            _ = watch.observe(try! ZNodePath(validating: "/n\(i)"), stat(mzxid: 20 + Int64(i), version: 0), index: 20 + Int64(i))
            #expect(watch.newest.count <= 2)
        }
    }

    @Test("the node cache checks the reads it stores, and reads of absent nodes are not compared")
    func cacheObserves() {
        var cache = NodeCache()
        func read(mzxid: Int64, version: Int32, index: Int64) -> ReadResult {
            ReadResult(node: NodeSnapshot(path: path, data: [1], stat: stat(mzxid: mzxid, version: version)),
                       index: index, changeIndex: mzxid)
        }
        #expect(cache.observe(read(mzxid: 9, version: 4, index: 9)) == nil)
        #expect(cache.observe(ReadResult(node: nil, index: 30, changeIndex: 0)) == nil)
        cache.entries.removeAll()   // a disconnect drops cached reads, not what was answered
        #expect(cache.observe(read(mzxid: 7, version: 3, index: 30)) != nil)
    }
}
